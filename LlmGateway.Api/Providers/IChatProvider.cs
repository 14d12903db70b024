using LlmGateway.Api.Configuration;

namespace LlmGateway.Api.Providers;

/// <summary>
/// A provider adapter: where a deployment's requests go and how they authenticate. Body mapping lives beside it
/// (in the provider's folder); sending and failure classification are shared (<see cref="UpstreamSender"/>).
/// </summary>
public interface IChatProvider
{
    WireFormat Format { get; }

    bool Supports(UpstreamOperation operation);

    /// <summary>The upstream request, body already in <see cref="Format"/>. No client header is copied into it.</summary>
    HttpRequestMessage CreateRequest(DeploymentConfig deployment, UpstreamOperation operation, ReadOnlyMemory<byte> body, UpstreamHeaders headers);
}

/// <summary>The few client headers a provider may pass on, validated (no CR, LF or NUL).</summary>
public readonly record struct UpstreamHeaders(string? AnthropicVersion, string? AnthropicBeta);
