using System.Text;
using System.Text.Json.Nodes;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Providers.OpenAiResponses;

/// <summary>
/// Canonical turns → Responses <c>instructions</c> and <c>input</c> items: messages with <c>input_*</c> parts (assistant
/// text as <c>output_text</c>), <c>function_call</c>/<c>custom_tool_call</c> and their outputs, and OpenAI reasoning items
/// (those with an id or <c>encrypted_content</c>; another provider's signed thinking means nothing to OpenAI and is left out).
/// </summary>
internal static class OpenAiResponsesInputEncoder
{
    /// <summary>The leading system turns as one instructions text (null when there are none), and the input items.</summary>
    public static (string? Instructions, JsonArray Input) Encode(List<CanonicalMessage> turns)
    {
        var leading = 0;
        while (leading < turns.Count && turns[leading].Role == Role.System)
        {
            leading++;
        }

        var instructions = Join(turns.Take(leading).SelectMany(turn => turn.Parts));
        var freeform = turns.SelectMany(turn => turn.Parts).OfType<ToolCallPart>().Where(call => call.Freeform).Select(call => call.Id).ToHashSet();
        var input = new JsonArray();
        for (var i = leading; i < turns.Count; i++)
        {
            var turn = turns[i];
            if (turn.Role == Role.Assistant)
            {
                AddAssistant(turn, input);
                continue;
            }

            // Tool outputs first: they answer the assistant turn before anything the user adds.
            foreach (var result in turn.Parts.OfType<ToolResultPart>())
            {
                input.Add(ToolOutput(result, freeform.Contains(result.CallId)));
            }

            AddMessage(turn, input);
        }

        return (instructions.Length > 0 ? instructions : null, input);
    }

    private static void AddMessage(CanonicalMessage turn, JsonArray input)
    {
        var content = new JsonArray();
        foreach (var part in turn.Parts)
        {
            if (InputPart(part) is { } encoded)
            {
                content.Add(encoded);
            }
        }

        if (content.Count > 0)
        {
            var role = turn.Role switch { Role.System => "system", Role.Developer => "developer", _ => "user" };
            input.Add(new JsonObject { ["type"] = "message", ["role"] = role, ["content"] = content });
        }
    }

    private static JsonObject? InputPart(ContentPart part) => part switch
    {
        TextPart { Text.Length: > 0 } text => new JsonObject { ["type"] = "input_text", ["text"] = text.Text },
        ImagePart image => Image(image),
        DocumentPart document => Document(document),
        _ => null,
    };

    /// <summary>Assistant text runs become message items between the tool calls and reasoning items, in order.</summary>
    private static void AddAssistant(CanonicalMessage turn, JsonArray input)
    {
        JsonArray? text = null;
        foreach (var part in turn.Parts)
        {
            if (part is TextPart { Text.Length: > 0 } textPart)
            {
                text ??= [];
                text.Add(textPart.IsRefusal
                    ? new JsonObject { ["type"] = "refusal", ["refusal"] = textPart.Text }
                    : new JsonObject { ["type"] = "output_text", ["text"] = textPart.Text, ["annotations"] = new JsonArray() });
                continue;
            }

            var item = part switch
            {
                ToolCallPart call => ToolCall(call),
                ReasoningPart reasoning when reasoning.EncryptedContent is not null || reasoning.Id is not null => Reasoning(reasoning),
                _ => null,
            };
            if (item is null)
            {
                continue;
            }

            FlushText(ref text, input);
            input.Add(item);
        }

        FlushText(ref text, input);
    }

    private static void FlushText(ref JsonArray? text, JsonArray input)
    {
        if (text is not null)
        {
            input.Add(new JsonObject { ["type"] = "message", ["role"] = "assistant", ["content"] = text });
            text = null;
        }
    }

    private static JsonObject ToolCall(ToolCallPart call) => call.Freeform
        ? new JsonObject { ["type"] = "custom_tool_call", ["call_id"] = call.Id, ["name"] = call.Name, ["input"] = call.Arguments }
        : new JsonObject { ["type"] = "function_call", ["call_id"] = call.Id, ["name"] = call.Name, ["arguments"] = call.Arguments };

    private static JsonObject Reasoning(ReasoningPart reasoning)
    {
        var item = new JsonObject { ["type"] = "reasoning" };
        if (reasoning.Id is { } id)
        {
            item["id"] = id;
        }

        var summary = new JsonArray();
        if (reasoning.Text.Length > 0)
        {
            summary.Add(new JsonObject { ["type"] = "summary_text", ["text"] = reasoning.Text });
        }

        item["summary"] = summary;
        if (reasoning.EncryptedContent is { } encrypted)
        {
            item["encrypted_content"] = encrypted;
        }

        return item;
    }

    /// <summary>Text-only results as a string; with images, as parts. An error is said in the text, as the format has no flag for it.</summary>
    private static JsonObject ToolOutput(ToolResultPart result, bool freeform)
    {
        JsonNode output;
        if (result.Content.TrueForAll(part => part is TextPart))
        {
            var text = Join(result.Content);
            output = result.IsError ? "Error: " + text : text;
        }
        else
        {
            var parts = new JsonArray();
            if (result.IsError)
            {
                parts.Add(new JsonObject { ["type"] = "input_text", ["text"] = "Error:" });
            }

            foreach (var part in result.Content)
            {
                if (InputPart(part) is { } encoded)
                {
                    parts.Add(encoded);
                }
            }

            output = parts;
        }

        return new JsonObject
        {
            ["type"] = freeform ? "custom_tool_call_output" : "function_call_output",
            ["call_id"] = result.CallId,
            ["output"] = output,
        };
    }

    private static JsonObject Image(ImagePart image)
    {
        var part = new JsonObject { ["type"] = "input_image", ["image_url"] = image.Source.AsUrl() };
        part["detail"] = image.Detail ?? "auto";
        return part;
    }

    private static JsonObject Document(DocumentPart document)
    {
        var part = new JsonObject { ["type"] = "input_file" };
        if (document.Source.Url is { } url)
        {
            part["file_url"] = url;
        }
        else
        {
            part["filename"] = document.Filename ?? "document.pdf";
            part["file_data"] = document.Source.AsUrl();
        }

        return part;
    }

    /// <summary>The non-empty text parts, one per line.</summary>
    private static string Join(IEnumerable<ContentPart> parts)
    {
        var text = new StringBuilder();
        foreach (var part in parts)
        {
            if (part is TextPart { Text.Length: > 0 } textPart)
            {
                text.Append(text.Length > 0 ? "\n" : "").Append(textPart.Text);
            }
        }

        return text.ToString();
    }
}
