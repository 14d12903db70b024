using System.Text.Json;
using LlmGateway.Api.Streaming;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Providers.OpenAiResponses;

/// <summary>
/// A Responses API answer to a Responses client: events pass through untouched; the usage is read from the terminal
/// <c>response.completed</c>/<c>response.incomplete</c>, and <c>response.failed</c>/<c>error</c> are in-band errors.
/// </summary>
public sealed class OpenAiResponsesPassThrough : ResponseTranslation
{
    public override StreamStep OnEvent(SseEvent upstream, SseWriter client, bool committed)
    {
        Fold(upstream, static () => new OpenAiResponsesStreamDecoder());
        var name = upstream.Name.Length > 0 ? upstream.Name : TypeOf(upstream.Data);
        if (name is "error" or "response.failed")
        {
            if (committed)
            {
                client.Raw(upstream.Raw);
            }

            return new StreamStep(true, ErrorOf(name, upstream.Data));
        }

        Started = true;
        client.Raw(upstream.Raw);
        if (name is "response.completed" or "response.incomplete")
        {
            Usage = OpenAiResponsesUsage.Read(upstream.Data) ?? Usage;
            return new StreamStep(true);
        }

        return StreamStep.Continue;
    }

    public override ReadOnlyMemory<byte>? OnBody(ReadOnlyMemory<byte> upstream)
    {
        if (upstream.IsEmpty)
        {
            return null;
        }

        Started = true;
        Usage = OpenAiResponsesUsage.Read(upstream.Span);
        return upstream;
    }

    /// <summary>The failure an <c>error</c> or <c>response.failed</c> event reports, read by the decoder the translations use.</summary>
    private static ResponseFailed ErrorOf(string name, ReadOnlySpan<byte> data)
    {
        var events = new List<ResponseEvent>(2);
        new OpenAiResponsesStreamDecoder().Decode(name, data, events);
        return events.OfType<ResponseFailed>().FirstOrDefault() ?? new ResponseFailed("api_error", "The provider reported an error.");
    }

    /// <summary>The event's <c>type</c>, for a server that sends no <c>event:</c> lines; OpenAI writes it first.</summary>
    private static string TypeOf(ReadOnlySpan<byte> data)
    {
        try
        {
            var reader = new Utf8JsonReader(data);
            if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isType = reader.ValueTextEquals("type"u8);
                    reader.Read();
                    if (isType && reader.TokenType == JsonTokenType.String)
                    {
                        return reader.GetString()!;
                    }

                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
        }

        return "";
    }
}
