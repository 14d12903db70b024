using System.Buffers;
using System.Text.Json;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.ClientApis.Responses;

/// <summary>Writes a whole answer as an OpenAI Responses <c>response</c> object.</summary>
public static class ResponsesBodyEncoder
{
    /// <summary>
    /// The response JSON with the gateway's <c>resp_…</c> id: output items in order (reasoning, messages, calls), status
    /// completed or incomplete (<c>incomplete_details.reason</c>), usage with cached and reasoning token details.
    /// </summary>
    public static byte[] Encode(CanonicalResponse response, ResponseIdentity identity)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, TranslationJson.WriterOptions))
        {
            response.Usage ??= default(TokenUsage);
            ResponseObjectWriter.WriteResponse(w, identity, ResponseObjectWriter.StatusOf(response.Finish).Status, response);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
