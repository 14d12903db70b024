using System.Text;
using System.Text.Json.Nodes;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Providers.OpenAiCompatible;

/// <summary>Canonical turns → OpenAI chat <c>messages</c>; empty turns are left out (strict servers reject them).</summary>
internal static class OpenAiChatMessageEncoder
{
    public static JsonArray Encode(List<CanonicalMessage> turns)
    {
        var messages = new JsonArray();
        var start = LeadingSystem(turns, messages);
        // What tool results attached (AddToolResults), held until the last of their tool messages: a user message may not
        // come between the tool messages answering one assistant turn.
        var attachments = new JsonArray();
        for (var i = start; i < turns.Count; i++)
        {
            var turn = turns[i];
            if (turn.Role is not (Role.Tool or Role.User) && attachments.Count > 0)
            {
                messages.Add(new JsonObject { ["role"] = "user", ["content"] = attachments });
                attachments = [];
            }

            switch (turn.Role)
            {
                case Role.System or Role.Developer:
                    AddSystem(Join([turn]), turn.Name, messages);
                    break;
                case Role.User:
                    AddUser(turn, messages, attachments);
                    attachments = [];
                    break;
                case Role.Assistant:
                    AddAssistant(turn, messages);
                    break;
                case Role.Tool:
                    AddToolResults(turn.Parts, messages, attachments);
                    break;
            }
        }

        if (attachments.Count > 0)
        {
            messages.Add(new JsonObject { ["role"] = "user", ["content"] = attachments });
        }

        return messages;
    }

    /// <summary>The system turns before the first other turn, joined into one system message as older servers expect.</summary>
    private static int LeadingSystem(List<CanonicalMessage> turns, JsonArray messages)
    {
        var count = 0;
        while (count < turns.Count && turns[count].Role is Role.System or Role.Developer)
        {
            count++;
        }

        var name = count == 1 ? turns[0].Name : null;
        AddSystem(Join(turns.Take(count)), name, messages);
        return count;
    }

    private static void AddSystem(string text, string? name, JsonArray messages)
    {
        if (text.Length > 0)
        {
            messages.Add(Named(new JsonObject { ["role"] = "system", ["content"] = text }, name));
        }
    }

    /// <summary>The turn's tool results as tool messages, then one user message: <paramref name="parts"/> (what earlier tool results attached), what its own attached, its own parts.</summary>
    private static void AddUser(CanonicalMessage turn, JsonArray messages, JsonArray parts)
    {
        foreach (var part in turn.Parts)
        {
            switch (part)
            {
                case TextPart { Text.Length: > 0 } text:
                    parts.Add(new JsonObject { ["type"] = "text", ["text"] = text.Text });
                    break;
                case ImagePart image:
                    parts.Add(ImageUrl(image.Source.AsUrl(), image.Detail));
                    break;
                case DocumentPart document:
                    parts.Add(Document(document));
                    break;
                case ToolResultPart result:
                    // OpenAI wants tool answers right after the assistant turn, before anything the user adds; what a
                    // result attached goes first in the user message that follows them.
                    AddToolResults([result], messages, parts);
                    break;
            }
        }

        if (parts.Count > 0)
        {
            // A lone text part as a plain string suits servers that only accept string content.
            var content = parts is [JsonObject { } only] && (string?)only["type"] == "text" ? only["text"]!.DeepClone() : parts;
            messages.Add(Named(new JsonObject { ["role"] = "user", ["content"] = content }, turn.Name));
        }
    }

    /// <summary>Text and tool calls; reasoning is dropped: OpenAI-compatible servers have no field for prior reasoning.</summary>
    private static void AddAssistant(CanonicalMessage turn, JsonArray messages)
    {
        var text = new StringBuilder();
        var toolCalls = new JsonArray();
        foreach (var part in turn.Parts)
        {
            switch (part)
            {
                case TextPart textPart:
                    text.Append(textPart.Text);
                    break;
                case ToolCallPart call:
                    toolCalls.Add(new JsonObject
                    {
                        ["id"] = call.Id,
                        ["type"] = "function",
                        ["function"] = new JsonObject { ["name"] = call.Name, ["arguments"] = call.Arguments },
                    });
                    break;
            }
        }

        if (text.Length == 0 && toolCalls.Count == 0)
        {
            return;
        }

        var message = new JsonObject { ["role"] = "assistant", ["content"] = text.Length > 0 ? text.ToString() : null };
        if (toolCalls.Count > 0)
        {
            message["tool_calls"] = toolCalls;
        }

        messages.Add(Named(message, turn.Name));
    }

    /// <summary>
    /// One tool message per result; tool messages carry text only and have no error field, so failure is said in the text.
    /// The images and PDFs a result holds (Claude Code's <c>Read</c> of a screenshot or a PDF) cannot go in it: they go to
    /// <paramref name="attachments"/>, after a line naming the call, for the user message that follows the tool messages.
    /// </summary>
    private static void AddToolResults(IEnumerable<ContentPart> parts, JsonArray messages, JsonArray attachments)
    {
        foreach (var part in parts)
        {
            if (part is not ToolResultPart result)
            {
                continue;
            }

            var attached = attachments.Count;
            foreach (var media in result.Content)
            {
                if (media is ImagePart or DocumentPart && attachments.Count == attached)
                {
                    attachments.Add(new JsonObject { ["type"] = "text", ["text"] = $"Attached to the result of tool call {result.CallId}:" });
                }

                if (media is ImagePart image)
                {
                    attachments.Add(ImageUrl(image.Source.AsUrl(), image.Detail));
                }
                else if (media is DocumentPart document)
                {
                    attachments.Add(Document(document));
                }
            }

            var text = Join(result.Content);
            if (text.Length == 0 && attachments.Count > attached)
            {
                text = "(attached in the next user message)";
            }

            messages.Add(new JsonObject
            {
                ["role"] = "tool",
                ["tool_call_id"] = result.CallId,
                ["content"] = result.IsError ? "Error: " + text : text,
            });
        }
    }

    /// <summary>PDFs inline as a file part; anything else goes as an image URL, as before the canonical model.</summary>
    private static JsonObject Document(DocumentPart document)
    {
        var url = document.Source.AsUrl();
        return url.StartsWith("data:application/pdf", StringComparison.Ordinal)
            ? new JsonObject
            {
                ["type"] = "file",
                ["file"] = new JsonObject { ["filename"] = document.Filename ?? "document.pdf", ["file_data"] = url },
            }
            : ImageUrl(url, null);
    }

    private static JsonObject ImageUrl(string url, string? detail)
    {
        var image = new JsonObject { ["url"] = url };
        if (detail is not null)
        {
            image["detail"] = detail;
        }

        return new JsonObject { ["type"] = "image_url", ["image_url"] = image };
    }

    private static JsonObject Named(JsonObject message, string? name)
    {
        if (name is not null)
        {
            message["name"] = name;
        }

        return message;
    }

    private static string Join(IEnumerable<CanonicalMessage> turns) => Join(turns.SelectMany(turn => turn.Parts));

    /// <summary>The non-empty text parts, one per line.</summary>
    private static string Join(IEnumerable<ContentPart> parts)
    {
        var text = new StringBuilder();
        foreach (var part in parts)
        {
            if (part is TextPart { Text.Length: > 0 } textPart)
            {
                if (text.Length > 0)
                {
                    text.Append('\n');
                }

                text.Append(textPart.Text);
            }
        }

        return text.ToString();
    }
}
