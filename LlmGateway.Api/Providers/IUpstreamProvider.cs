using LlmGateway.Api.Configuration;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Providers;

/// <summary>
/// A provider's endpoint: where a deployment's requests go and how they authenticate, plus the <see cref="Adapter"/> of
/// the format it speaks. Sending and failure classification are shared (<see cref="UpstreamSender"/>).
/// </summary>
public interface IUpstreamProvider
{
    IUpstreamAdapter Adapter { get; }

    WireFormat Format => Adapter.Format;

    bool Supports(UpstreamOperation operation);

    /// <summary>The upstream request, body already in <see cref="Format"/>. No client header is copied into it.</summary>
    HttpRequestMessage CreateRequest(DeploymentConfig deployment, UpstreamOperation operation, ReadOnlyMemory<byte> body, UpstreamHeaders headers);
}

/// <summary>The few client headers a provider may pass on, validated (no CR, LF or NUL).</summary>
public readonly record struct UpstreamHeaders(string? AnthropicVersion, string? AnthropicBeta)
{
    /// <summary>Only Anthropic's own version and its allowed beta flags pass, and only when they are plain tokens.</summary>
    public static UpstreamHeaders From(HttpRequest request, Anthropic.AnthropicBetas betas) => new(
        SafeToken(request.Headers["anthropic-version"].ToString()),
        betas.Filter(SafeToken(request.Headers["anthropic-beta"].ToString())));

    private static string? SafeToken(string value)
    {
        if (value.Length is 0 or > 512)
        {
            return null;
        }

        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ',' or ' '))
            {
                return null;
            }
        }

        return value;
    }
}
