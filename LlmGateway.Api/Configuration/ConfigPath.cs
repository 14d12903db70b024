using System.Text.RegularExpressions;

namespace LlmGateway.Api.Configuration;

/// <summary>Builds the JSON-ish paths used in errors and warnings: <c>model_list[1].litellm_params.model</c>.</summary>
internal static partial class ConfigPath
{
    public static string Child(string parent, string key)
    {
        var segment = PlainKey().IsMatch(key) ? key : $"[\"{key}\"]";
        return parent.Length == 0 ? segment : segment.StartsWith('[') ? parent + segment : $"{parent}.{segment}";
    }

    public static string Item(string parent, int index) => $"{parent}[{index}]";

    /// <summary>The path with list indexes removed, so the same key in every entry is reported once.</summary>
    public static string Shape(string path) => Index().Replace(path, "[]");

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_-]*$")]
    private static partial Regex PlainKey();

    [GeneratedRegex(@"\[\d+\]|:\d+(?=:|$)")]
    private static partial Regex Index();
}
