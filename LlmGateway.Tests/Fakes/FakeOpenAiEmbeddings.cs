using System.Text.Json.Nodes;

namespace LlmGateway.Tests.Fakes;

/// <summary>OpenAI <c>/v1/embeddings</c> and <c>/v1/models</c>: deterministic unit vectors and a fixed model list.</summary>
internal static class FakeOpenAiEmbeddings
{
    public const int DefaultDimensions = 8;

    public static Task EmbeddingsAsync(FakeExchange exchange, string? deployment)
    {
        var model = exchange.BodyString("model") ?? deployment ?? "unknown";
        var inputs = Inputs(exchange.Body["input"]);
        var dimensions = exchange.Body["dimensions"] is JsonValue d && d.TryGetValue<int>(out var n) && n > 0 ? n : DefaultDimensions;
        var base64 = exchange.BodyString("encoding_format") == "base64";
        var prompt = exchange.Script.ZeroUsage ? 0 : exchange.Script.PromptTokens ?? inputs.Sum(input => input.Tokens);
        var data = inputs.Select((input, index) => (JsonNode)new JsonObject
        {
            ["object"] = "embedding",
            ["index"] = index,
            ["embedding"] = base64 ? Base64(Vector(input.Key, dimensions)) : new JsonArray(Vector(input.Key, dimensions).Select(v => (JsonNode)v).ToArray()),
        }).ToArray();
        return exchange.WriteJsonAsync(new JsonObject
        {
            ["object"] = "list",
            ["data"] = new JsonArray(data),
            ["model"] = model,
            ["usage"] = new JsonObject { ["prompt_tokens"] = prompt, ["total_tokens"] = prompt },
        });
    }

    public static Task ModelsAsync(FakeExchange exchange, IReadOnlyList<string> models) =>
        exchange.WriteJsonAsync(new JsonObject
        {
            ["object"] = "list",
            ["data"] = new JsonArray(models.Select(id => (JsonNode)new JsonObject
            {
                ["id"] = id, ["object"] = "model", ["created"] = 1686935002, ["owned_by"] = "fake", ["shutdown_date"] = null,
            }).ToArray()),
        });

    /// <summary>The vector the fake returns for a text input, so tests can compare exactly.</summary>
    public static float[] Vector(string key, int dimensions = DefaultDimensions)
    {
        // FNV-1a seed plus a xorshift stream: stable across runs and processes, unlike string.GetHashCode.
        var state = 2166136261u;
        foreach (var c in key)
            state = (state ^ c) * 16777619u;
        var values = new float[dimensions];
        for (var i = 0; i < dimensions; i++)
        {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            values[i] = state / (float)uint.MaxValue * 2 - 1;
        }
        var norm = MathF.Sqrt(values.Sum(v => v * v));
        return norm == 0 ? values : values.Select(v => v / norm).ToArray();
    }

    private static string Base64(float[] vector)
    {
        var bytes = new byte[vector.Length * sizeof(float)];
        Buffer.BlockCopy(vector, 0, bytes, 0, bytes.Length);
        return Convert.ToBase64String(bytes);
    }

    // input is a string, string[], int[] (one tokenized input) or int[][]; token inputs are keyed by their joined ids.
    private static List<(string Key, int Tokens)> Inputs(JsonNode? input) => input switch
    {
        JsonValue value when value.TryGetValue<string>(out var text) => [(text, FakeText.CountTokens(text.Length))],
        JsonArray array when array.All(item => item is JsonValue v && v.TryGetValue<int>(out _)) =>
            [(string.Join(',', array.Select(item => item!.GetValue<int>())), array.Count)],
        JsonArray array => array.SelectMany(item => Inputs(item)).ToList(),
        _ => [("", 1)],
    };
}
