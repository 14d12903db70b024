using LlmGateway.Api.Contracts;

namespace LlmGateway.Api.Translation;

/// <summary>
/// The rule Anthropic and OpenAI chat both hold a conversation's tool use to, checked on a request before it is
/// translated for another provider: each call of an assistant turn is answered by a tool result right after that turn,
/// before any other turn, and each tool result answers a call of the assistant turn just before it. A provider of the
/// client's own format refuses a conversation that breaks the rule in its own words; translated, it would be refused by
/// the other provider after the upstream call, naming fields the client never wrote (RequestShapeFuzzTests).
/// </summary>
public static class ToolPairing
{
    /// <summary><paramref name="decoded"/>, or the 400 naming the client's first unpaired call or result.</summary>
    public static TranslationResult<CanonicalRequest> Checked(TranslationResult<CanonicalRequest> decoded) =>
        decoded.IsSuccess && Check(decoded.Value.Messages) is { } error ? error : decoded;

    /// <summary>The first call left unanswered or result answering no call, as the error naming it; null when all pair.</summary>
    public static TranslationError? Check(List<CanonicalMessage> messages)
    {
        // The last assistant turn's calls: all of them (a result may answer any) and those no result has answered yet.
        // Both are emptied by any turn other than a tool turn, after which no result answers them.
        List<ToolCallPart> calls = [];
        List<ToolCallPart> unanswered = [];
        foreach (var turn in messages)
        {
            if (turn.Role == Role.Tool)
            {
                foreach (var part in turn.Parts)
                {
                    if (part is ToolResultPart result)
                    {
                        if (!calls.Exists(call => call.Id == result.CallId))
                        {
                            return Orphan(result);
                        }

                        unanswered.RemoveAll(call => call.Id == result.CallId);
                    }
                }

                continue;
            }

            if (unanswered.Count > 0)
            {
                return Unanswered(unanswered[0]);
            }

            calls.Clear();
            if (turn.Role == Role.Assistant)
            {
                calls.AddRange(turn.Parts.OfType<ToolCallPart>());
                unanswered.AddRange(calls);
            }
        }

        return unanswered.Count > 0 ? Unanswered(unanswered[0]) : null;
    }

    private static TranslationError Orphan(ToolResultPart result) => new(result.Source ?? "messages",
        $"The tool result for '{result.CallId}' answers no tool call of the assistant turn just before it: a tool result must "
        + "follow the assistant turn that made the call, before any other turn.", "invalid_value");

    private static TranslationError Unanswered(ToolCallPart call) => new(call.Source ?? "messages",
        $"The tool call '{call.Id}' has no tool result after it: each tool call of an assistant turn must be answered by a "
        + "tool result right after that turn, before any other turn.", "invalid_value");
}
