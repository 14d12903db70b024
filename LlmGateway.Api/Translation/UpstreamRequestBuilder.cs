using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;

namespace LlmGateway.Api.Translation;

/// <summary>
/// The body one deployment receives for a client's request: the client's own bytes with the model rewritten when the
/// formats match (no canonical objects are built), else the canonical request — decoded once per request — encoded
/// in the deployment's format.
/// </summary>
public sealed class UpstreamRequestBuilder(IClientAdapter client, JsonBody body, Func<DeploymentConfig, BodyRewriter.Options> passThrough, bool dropParams)
{
    private TranslationResult<CanonicalRequest>? canonical;

    /// <summary>What the last body built left out under <c>drop_params</c> (hosted tools, fields the format lacks), comma-separated; null when nothing.</summary>
    public string? Dropped { get; private set; }

    /// <summary>The body for <paramref name="deployment"/>, or the 400 that says why the request cannot go there.</summary>
    public (ReadOnlyMemory<byte>? Bytes, GatewayError? Error) Build(DeploymentConfig deployment, IUpstreamAdapter upstream)
    {
        if (upstream.Format == client.NativeUpstream)
        {
            Dropped = null;
            return (BodyRewriter.Rewrite(body, passThrough(deployment)), null);
        }

        canonical ??= ToolPairing.Checked(client.Decode((JsonObject)JsonNode.Parse(body.Bytes.Span)!));
        var encoded = canonical.IsSuccess
            ? upstream.EncodeRequest(canonical.Value, new UpstreamTarget(deployment.ProviderModel, deployment.MaxTokens, dropParams))
            : TranslationResult<JsonObject>.Failure(canonical.Error);
        Dropped = dropParams && encoded.IsSuccess ? DroppedFrom(canonical.Value!, encoded.Value) : null;
        return encoded.IsSuccess
            ? (JsonSerializer.SerializeToUtf8Bytes(encoded.Value, TranslationJson.Options), null)
            : (null, GatewayError.InvalidRequest(encoded.Error.Message, encoded.Error.Param, encoded.Error.Code));
    }

    /// <summary>Hosted tools (an upstream of another format never runs them) and unmapped fields missing from the encoded body.</summary>
    private static string? DroppedFrom(CanonicalRequest request, JsonObject encoded)
    {
        var dropped = request.Tools.Where(t => t.HostedType is not null).Select(t => $"tools[{t.HostedType}]")
            .Concat(request.Unmapped.Where(u => u.Value is not null && !encoded.ContainsKey(u.Key)).Select(u => u.Key))
            .ToList();
        return dropped.Count > 0 ? string.Join(", ", dropped) : null;
    }
}
