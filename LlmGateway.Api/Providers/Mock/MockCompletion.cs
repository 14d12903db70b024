using System.Text;
using System.Text.Json;
using LlmGateway.Api.Configuration;

namespace LlmGateway.Api.Providers.Mock;

/// <summary>The mock's deterministic answers in OpenAI's wire format.</summary>
internal static class MockCompletion
{
    public sealed record MockAnswer(string Id, string Model, long Created, string[] Words, string FinishReason, int PromptTokens)
    {
        public int CompletionTokens => Words.Length;
    }

    public static MockAnswer Create(JsonElement request, DeploymentConfig? deployment, string model)
    {
        var text = request.TryGetProperty("mock_response", out var mock) && mock.ValueKind == JsonValueKind.String
            ? mock.GetString()!
            : deployment?.MockResponse ?? $"This is a mock response from {model}.";
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var limit = MaxTokens(request);
        var finish = "stop";
        if (limit is { } max && words.Length > max)
        {
            words = words[..(int)max];
            finish = "length";
        }

        var id = "chatcmpl-mock" + Convert.ToHexString(BitConverter.GetBytes(StableHash(text) ^ StableHash(model))).ToLowerInvariant();
        return new MockAnswer(id, model, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), words, finish, PromptTokens(request));
    }

    public static string NonStream(MockAnswer answer)
    {
        using var stream = new MemoryStream();
        using var writer = new Utf8JsonWriter(stream);
        writer.WriteStartObject();
        Header(writer, answer, "chat.completion");
        writer.WriteStartArray("choices");
        writer.WriteStartObject();
        writer.WriteNumber("index", 0);
        writer.WriteStartObject("message");
        writer.WriteString("role", "assistant");
        writer.WriteString("content", string.Join(' ', answer.Words));
        writer.WriteNull("refusal");
        writer.WriteEndObject();
        writer.WriteNull("logprobs");
        writer.WriteString("finish_reason", answer.FinishReason);
        writer.WriteEndObject();
        writer.WriteEndArray();
        Usage(writer, answer);
        writer.WriteEndObject();
        writer.Flush();
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public static string Stream(MockAnswer answer, bool includeUsage)
    {
        var events = new StringBuilder(512);
        events.Append("data: ").Append(Chunk(answer, writer => { writer.WriteString("role", "assistant"); writer.WriteString("content", ""); }, null)).Append("\n\n");
        for (var i = 0; i < answer.Words.Length; i++)
        {
            var piece = i == 0 ? answer.Words[i] : " " + answer.Words[i];
            events.Append("data: ").Append(Chunk(answer, writer => writer.WriteString("content", piece), null)).Append("\n\n");
        }

        events.Append("data: ").Append(Chunk(answer, _ => { }, answer.FinishReason)).Append("\n\n");
        if (includeUsage)
        {
            using var stream = new MemoryStream();
            using (var writer = new Utf8JsonWriter(stream))
            {
                writer.WriteStartObject();
                Header(writer, answer, "chat.completion.chunk");
                writer.WriteStartArray("choices");
                writer.WriteEndArray();
                Usage(writer, answer);
                writer.WriteEndObject();
            }

            events.Append("data: ").Append(Encoding.UTF8.GetString(stream.ToArray())).Append("\n\n");
        }

        return events.Append("data: [DONE]\n\n").ToString();
    }

    public static string Embeddings(JsonElement request, string model)
    {
        var inputs = request.TryGetProperty("input", out var input) && input.ValueKind == JsonValueKind.Array
            ? input.EnumerateArray().Select(e => e.ToString()).ToArray()
            : [input.ToString()];
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("object", "list");
            writer.WriteStartArray("data");
            for (var i = 0; i < inputs.Length; i++)
            {
                writer.WriteStartObject();
                writer.WriteString("object", "embedding");
                writer.WriteNumber("index", i);
                writer.WriteStartArray("embedding");
                var seed = (uint)StableHash(inputs[i]);
                for (var d = 0; d < 8; d++)
                {
                    seed = seed * 1664525 + 1013904223;
                    writer.WriteNumberValue(Math.Round((seed / (double)uint.MaxValue) * 2 - 1, 6));
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteString("model", model);
            var tokens = Math.Max(1, inputs.Sum(s => (s.Length + 3) / 4));
            writer.WriteStartObject("usage");
            writer.WriteNumber("prompt_tokens", tokens);
            writer.WriteNumber("total_tokens", tokens);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string Chunk(MockAnswer answer, Action<Utf8JsonWriter> delta, string? finishReason)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            Header(writer, answer, "chat.completion.chunk");
            writer.WriteStartArray("choices");
            writer.WriteStartObject();
            writer.WriteNumber("index", 0);
            writer.WriteStartObject("delta");
            delta(writer);
            writer.WriteEndObject();
            writer.WriteNull("logprobs");
            if (finishReason is null)
            {
                writer.WriteNull("finish_reason");
            }
            else
            {
                writer.WriteString("finish_reason", finishReason);
            }

            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void Header(Utf8JsonWriter writer, MockAnswer answer, string kind)
    {
        writer.WriteString("id", answer.Id);
        writer.WriteString("object", kind);
        writer.WriteNumber("created", answer.Created);
        writer.WriteString("model", answer.Model);
    }

    private static void Usage(Utf8JsonWriter writer, MockAnswer answer)
    {
        writer.WriteStartObject("usage");
        writer.WriteNumber("prompt_tokens", answer.PromptTokens);
        writer.WriteNumber("completion_tokens", answer.CompletionTokens);
        writer.WriteNumber("total_tokens", answer.PromptTokens + answer.CompletionTokens);
        writer.WriteEndObject();
    }

    private static long? MaxTokens(JsonElement request)
    {
        foreach (var name in new[] { "max_completion_tokens", "max_tokens" })
        {
            if (request.TryGetProperty(name, out var value) && value.TryGetInt64(out var max))
            {
                return max;
            }
        }

        return null;
    }

    /// <summary>About four characters a token, like the usual rule of thumb; at least one.</summary>
    private static int PromptTokens(JsonElement request)
    {
        var characters = 0;
        if (request.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            foreach (var message in messages.EnumerateArray())
            {
                if (message.TryGetProperty("content", out var content))
                {
                    characters += content.ValueKind == JsonValueKind.String ? content.GetString()!.Length : content.GetRawText().Length;
                }
            }
        }

        return Math.Max(1, (characters + 3) / 4);
    }

    private static int StableHash(string text)
    {
        var hash = 17;
        foreach (var c in text)
        {
            hash = unchecked(hash * 31 + c);
        }

        return hash;
    }
}
