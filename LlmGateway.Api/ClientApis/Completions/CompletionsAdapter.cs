using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.ClientApis.Completions;

/// <summary>
/// OpenAI's legacy text completions as a client format (<c>/v1/completions</c>). Only OpenAI's completions models (and
/// servers marked <c>use_completions_api</c>) speak it natively and get the body as it is; every other deployment gets it
/// translated to its chat format.
/// </summary>
public sealed class CompletionsAdapter : IClientAdapter
{
    public ClientFormat Format => ClientFormat.OpenAi;

    public WireFormat NativeUpstream => WireFormat.OpenAiCompletions;

    public string IdPrefix => "cmpl-";

    public TranslationResult<CanonicalRequest> Decode(JsonObject body) => CompletionsRequestDecoder.Decode(body);

    public IClientStreamEncoder NewStreamEncoder(ResponseIdentity identity, StreamEncoderOptions options) => new CompletionsStreamEncoder(identity, options);

    public byte[] EncodeBody(CanonicalResponse response, ResponseIdentity identity) => CompletionsBodyEncoder.Encode(response, identity);
}
