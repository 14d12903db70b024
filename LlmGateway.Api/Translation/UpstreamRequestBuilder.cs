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

    /// <summary>The body for <paramref name="deployment"/>, or the 400 that says why the request cannot go there.</summary>
    public (byte[]? Bytes, GatewayError? Error) Build(DeploymentConfig deployment, IUpstreamAdapter upstream)
    {
        if (upstream.Format == client.NativeUpstream)
        {
            return (BodyRewriter.Rewrite(body, passThrough(deployment)), null);
        }

        canonical ??= client.Decode((JsonObject)JsonNode.Parse(body.Bytes.Span)!);
        var encoded = canonical.IsSuccess
            ? upstream.EncodeRequest(canonical.Value, new UpstreamTarget(deployment.ProviderModel, deployment.MaxTokens, dropParams))
            : TranslationResult<JsonObject>.Failure(canonical.Error);
        return encoded.IsSuccess
            ? (JsonSerializer.SerializeToUtf8Bytes(encoded.Value, TranslationJson.Options), null)
            : (null, GatewayError.InvalidRequest(encoded.Error.Message, encoded.Error.Param, "unsupported_parameter"));
    }
}
