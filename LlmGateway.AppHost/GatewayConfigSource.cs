using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using YamlDotNet.RepresentationModel;

namespace LlmGateway.AppHost;

/// <summary>
/// The LiteLLM-format config the Api gets. Run mode hands it the file's path; a published container cannot read the
/// AppHost's files, so publish mode hands it the same settings as <c>Gateway__…</c> environment variables, which the
/// Api already reads (<c>Gateway:ModelList:N:*</c>, <c>Gateway:DropParams</c>, <c>Gateway:NumRetries</c>).
/// </summary>
internal sealed partial class GatewayConfigSource
{
    // A flat Gateway:ModelList entry would give model_info's max_tokens the same key as litellm_params'.
    private static readonly Dictionary<string, string> InfoRenames = new() { ["max_tokens"] = "ModelMaxTokens" };
    private static readonly Dictionary<string, string> LitellmSettings = new() { ["drop_params"] = "DropParams", ["num_retries"] = "NumRetries" };

    private GatewayConfigSource(string path, YamlMappingNode? root)
    {
        Path = path;
        Root = root;
    }

    /// <summary>The YAML file in the AppHost's folder.</summary>
    public string Path { get; }

    private YamlMappingNode? Root { get; }

    /// <summary>
    /// <c>Api:ConfigFile</c> when set (relative to the AppHost's folder); otherwise <c>gateway.yaml</c> when a provider
    /// key is set and <c>gateway.demo.yaml</c> (the built-in mock) when none is.
    /// </summary>
    public static GatewayConfigSource Choose(IDistributedApplicationBuilder builder, IEnumerable<string> knownProviderKeys)
    {
        var configured = builder.Configuration["Api:ConfigFile"];
        var file = !string.IsNullOrWhiteSpace(configured)
            ? configured
            : knownProviderKeys.Any(name => !string.IsNullOrEmpty(builder.Configuration[name])) ? "gateway.yaml" : "gateway.demo.yaml";
        var path = System.IO.Path.GetFullPath(System.IO.Path.Combine(builder.AppHostDirectory, file));
        if (!File.Exists(path))
        {
            throw new DistributedApplicationException($"Api:ConfigFile: file '{path}' not found");
        }

        var yaml = new YamlStream();
        using (var reader = File.OpenText(path))
        {
            yaml.Load(reader);
        }

        return new GatewayConfigSource(path, yaml.Documents.FirstOrDefault()?.RootNode as YamlMappingNode);
    }

    /// <summary>Environment variables named by <c>os.environ/NAME</c> values anywhere in the file, in order of appearance.</summary>
    public IReadOnlyList<string> EnvironmentReferences() =>
        Scalars(Root).Select(value => EnvironmentReference().Match(value))
            .Where(match => match.Success)
            .Select(match => match.Groups[1].Value)
            .Distinct(StringComparer.Ordinal)
            .ToList();

    /// <summary>
    /// The file as <c>Gateway__…</c> environment variables, and the settings that have no such variable
    /// (<c>router_settings</c>, <c>general_settings</c>, fallbacks, cooldowns…), which the caller must report.
    /// </summary>
    public (Dictionary<string, string> Variables, List<string> NotCarried) ToEnvironment()
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        var notCarried = new List<string>();
        if (Root is null)
        {
            return (variables, notCarried);
        }

        foreach (var (keyNode, value) in Root.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value ?? "";
            switch (key)
            {
                case "model_list" when value is YamlSequenceNode list:
                    for (var i = 0; i < list.Children.Count; i++)
                    {
                        AddDeployment(variables, notCarried, i, (YamlMappingNode)list.Children[i]);
                    }

                    break;
                case "litellm_settings" when value is YamlMappingNode settings:
                    foreach (var (name, setting) in Entries(settings))
                    {
                        if (LitellmSettings.TryGetValue(name, out var pascal) && setting is YamlScalarNode scalar)
                            variables[$"Gateway__{pascal}"] = scalar.Value ?? "";
                        else
                            notCarried.Add($"litellm_settings.{name}");
                    }

                    break;
                default:
                    notCarried.Add(key);
                    break;
            }
        }

        return (variables, notCarried);
    }

    private static void AddDeployment(Dictionary<string, string> variables, List<string> notCarried, int index, YamlMappingNode entry)
    {
        var prefix = $"Gateway__ModelList__{index}__";
        foreach (var (name, value) in Entries(entry))
        {
            switch (name)
            {
                case "model_name" when value is YamlScalarNode scalar:
                    variables[prefix + "ModelName"] = scalar.Value ?? "";
                    break;
                case "litellm_params" or "model_info" when value is YamlMappingNode section:
                    foreach (var (setting, settingValue) in Entries(section))
                    {
                        var pascal = name == "model_info" && InfoRenames.TryGetValue(setting, out var renamed) ? renamed : PascalCase(setting);
                        if (settingValue is YamlScalarNode scalar)
                            variables[prefix + pascal] = scalar.Value ?? "";
                        else
                            notCarried.Add($"model_list[{index}].{name}.{setting}");
                    }

                    break;
                default:
                    notCarried.Add($"model_list[{index}].{name}");
                    break;
            }
        }
    }

    private static IEnumerable<(string Name, YamlNode Value)> Entries(YamlMappingNode mapping) =>
        mapping.Children.Select(pair => (((YamlScalarNode)pair.Key).Value ?? "", pair.Value));

    private static IEnumerable<string> Scalars(YamlNode? node) => node switch
    {
        YamlScalarNode scalar => scalar.Value is null ? [] : [scalar.Value],
        YamlSequenceNode sequence => sequence.Children.SelectMany(Scalars),
        YamlMappingNode mapping => mapping.Children.Values.SelectMany(Scalars),
        _ => [],
    };

    private static string PascalCase(string snake) =>
        string.Concat(snake.Split('_', StringSplitOptions.RemoveEmptyEntries).Select(part => char.ToUpperInvariant(part[0]) + part[1..]));

    [GeneratedRegex(@"^os\.environ/([A-Za-z_][A-Za-z0-9_]*)$")]
    private static partial Regex EnvironmentReference();
}
