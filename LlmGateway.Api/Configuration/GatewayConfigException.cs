namespace LlmGateway.Api.Configuration;

/// <summary>An invalid configuration; the message is <c>path: reason</c>, e.g. <c>model_list[1].litellm_params.model: unknown provider 'antropic'</c>.</summary>
public sealed class GatewayConfigException(string path, string reason, Exception? inner = null)
    : Exception($"{path}: {reason}", inner)
{
    /// <summary>Where the problem is: a JSON-ish path such as <c>model_list[0].litellm_params.rpm</c>, a configuration key, or a file.</summary>
    public string Path { get; } = path;
    public string Reason { get; } = reason;
}
