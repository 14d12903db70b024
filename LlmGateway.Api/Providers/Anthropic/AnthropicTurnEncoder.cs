using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;
using static LlmGateway.Api.Contracts.TranslationJson;

namespace LlmGateway.Api.Providers.Anthropic;

/// <summary>
/// Canonical turns → Anthropic's top-level <c>system</c> blocks and alternating user/assistant turns.
/// Errors name <c>messages[i]</c>: canonical turn i is the client's message i.
/// </summary>
internal static class AnthropicTurnEncoder
{
    public static TranslationError? Encode(List<CanonicalMessage> messages, JsonArray system, JsonArray turns)
    {
        var pending = new List<(string Role, List<JsonNode> Blocks)>();
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            var path = $"messages[{i}]";
            var error = message.Role switch
            {
                Role.System or Role.Developer => EncodeInstructions(message.Parts, path, system),
                Role.Assistant => EncodeTurn(message.Parts, path, "assistant", pending),
                _ => EncodeTurn(message.Parts, path, "user", pending),
            };
            if (error is not null)
            {
                return error;
            }
        }

        foreach (var (role, blocks) in pending)
        {
            // Anthropic wants every tool_result of a user turn before its other blocks.
            var content = new JsonArray([.. blocks.Where(IsToolResult), .. blocks.Where(block => !IsToolResult(block))]);
            turns.Add(new JsonObject { ["role"] = role, ["content"] = content });
        }

        TrimFinalAssistantText(turns);
        return null;
    }

    private static TranslationError? EncodeInstructions(List<ContentPart> parts, string path, JsonArray system)
    {
        var blocks = new List<JsonNode>();
        foreach (var part in parts)
        {
            if (part is not TextPart text)
            {
                return new TranslationError($"{path}.content", "system and developer messages may only contain text parts");
            }

            AnthropicContentEncoder.AddContent(blocks, text);
        }

        blocks.ForEach(system.Add);
        return null;
    }

    /// <summary>Consecutive turns of one role merge: Anthropic needs user and assistant to alternate.</summary>
    private static TranslationError? EncodeTurn(List<ContentPart> parts, string path, string role, List<(string Role, List<JsonNode> Blocks)> pending)
    {
        var blocks = new List<JsonNode>();
        if (AnthropicContentEncoder.Encode(parts, path, blocks) is { } error)
        {
            return error;
        }

        if (blocks.Count == 0)
        {
            // An empty assistant turn carries no meaning; an empty user turn is a client mistake Anthropic rejects.
            return role == "assistant" ? null
                : new TranslationError($"{path}.content", $"{path}.content must not be empty; Anthropic models reject empty user messages");
        }

        if (pending.Count > 0 && pending[^1].Role == role)
        {
            pending[^1].Blocks.AddRange(blocks);
        }
        else
        {
            pending.Add((role, blocks));
        }

        return null;
    }

    private static bool IsToolResult(JsonNode block) => GetString(block["type"]) == "tool_result";

    // Anthropic rejects a final assistant (prefill) turn that ends in whitespace.
    private static void TrimFinalAssistantText(JsonArray turns)
    {
        if (turns.Count > 0 && GetString(turns[^1]!["role"]) == "assistant" && turns[^1]!["content"]!.AsArray()[^1] is JsonObject last
            && GetString(last["type"]) == "text" && GetString(last["text"]) is { } text)
        {
            last["text"] = text.TrimEnd();
        }
    }
}
