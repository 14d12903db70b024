using System.Text.Json.Nodes;
using LlmGateway.Api.ClientApis.ChatCompletions;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;
using static LlmGateway.Api.Contracts.TranslationJson;

namespace LlmGateway.Api.ClientApis.Responses;

/// <summary>Responses <c>tools</c>, <c>tool_choice</c>, <c>text.format</c> and <c>reasoning</c> → their canonical forms.</summary>
internal static class ResponsesToolDecoder
{
    /// <summary>An effort as an Anthropic thinking budget (LiteLLM's table), for Anthropic deployments.</summary>
    private static readonly Dictionary<string, long> ThinkingBudgets = new(StringComparer.Ordinal)
    {
        ["low"] = 1024, ["medium"] = 2048, ["high"] = 4096, ["xhigh"] = 8192,
    };

    // Anthropic's output limit when the client sets none (LiteLLM's default, as the Anthropic encoder uses).
    private const long DefaultOutputLimit = 4096;

    public static TranslationError? Read(JsonObject body, CanonicalRequest request)
    {
        foreach (var node in body["tools"] as JsonArray ?? [])
        {
            // Codex groups tools in a namespace entry: its function and custom tools are the model's to call.
            if (GetString(node!["type"]) == "namespace" && node["tools"] is JsonArray nested)
            {
                request.Tools.AddRange(nested.OfType<JsonObject>().Select(Tool));
                continue;
            }

            request.Tools.Add(Tool((JsonObject)node));
        }

        request.ParallelToolCalls = ChatCompletionsRequestToolDecoder.GetBool(body["parallel_tool_calls"]);
        return ReadToolChoice(body["tool_choice"], request);
    }

    private static ToolDefinition Tool(JsonObject tool)
    {
        var name = GetString(tool["name"]) ?? "";
        var description = GetString(tool["description"]);
        return GetString(tool["type"]) switch
        {
            "function" => new ToolDefinition(name, description, IsNull(tool["parameters"]) ? null : tool["parameters"]!.DeepClone())
            {
                Strict = ChatCompletionsRequestToolDecoder.GetBool(tool["strict"]),
            },
            "custom" => new ToolDefinition(name, description, null)
            {
                Freeform = true, Format = IsNull(tool["format"]) ? null : tool["format"]!.DeepClone(),
            },
            // web_search, file_search, code_interpreter, mcp, …: only OpenAI runs them; kept whole for an OpenAI upstream.
            var type => new ToolDefinition(type!, description, null) { HostedType = type, Raw = (JsonObject)tool.DeepClone() },
        };
    }

    private static TranslationError? ReadToolChoice(JsonNode? choice, CanonicalRequest request)
    {
        if (IsNull(choice))
        {
            return null;
        }

        request.ToolChoice = ToolChoice.FromMode(GetString(choice))
            ?? (GetString(Get(choice, "type")) is "function" or "custom" && GetString(Get(choice, "name")) is { Length: > 0 } name
                ? new ToolChoice(ToolChoiceKind.Named, name)
                : null);
        if (request.ToolChoice is null && choice is JsonObject)
        {
            // allowed_tools, a hosted tool, mcp: no canonical form; an upstream that cannot take it refuses it by name.
            request.Unmapped["tool_choice"] = choice.DeepClone();
            return null;
        }

        return request.ToolChoice is null
            ? new TranslationError("tool_choice", "tool_choice must be \"auto\", \"none\", \"required\" or {\"type\":\"function\",\"name\":…}")
            : null;
    }

    /// <summary><c>text.format</c>: text, json_object or json_schema (<c>name</c>, <c>schema</c>, <c>strict</c> inline).</summary>
    public static void ReadTextFormat(JsonNode? text, CanonicalRequest request)
    {
        var format = Get(text, "format");
        if (IsNull(format))
        {
            return;
        }

        request.ResponseFormat = GetString(Get(format, "type")) switch
        {
            "text" => new ResponseFormat(ResponseFormatKind.Text),
            "json_object" => new ResponseFormat(ResponseFormatKind.JsonObject),
            "json_schema" => new ResponseFormat(ResponseFormatKind.JsonSchema, GetString(Get(format, "name")),
                Get(format, "schema")?.DeepClone(), ChatCompletionsRequestToolDecoder.GetBool(Get(format, "strict")), GetString(Get(format, "description"))),
            _ => null,
        };
        if (request.ResponseFormat is null)
        {
            request.Unmapped["text.format"] = format!.DeepClone();
        }
    }

    /// <summary>
    /// <c>reasoning.effort</c>: as it is for OpenAI-format upstreams, and as a thinking budget for Anthropic ones when the
    /// output limit leaves room for it (Anthropic needs max_tokens above the budget); <c>none</c>/<c>minimal</c> turn it off.
    /// </summary>
    public static void ReadReasoning(JsonNode? reasoning, CanonicalRequest request)
    {
        if (GetString(Get(reasoning, "effort")) is not { } effort)
        {
            return;
        }

        if (!ThinkingBudgets.TryGetValue(effort, out var budget))
        {
            request.Reasoning = new ReasoningRequest(false, effort) { AnthropicThinking = new JsonObject { ["type"] = "disabled" } };
            return;
        }

        var limit = request.MaxOutputTokens ?? DefaultOutputLimit;
        budget = Math.Min(budget, limit - 1);
        JsonObject thinking = budget >= 1024
            ? new JsonObject { ["type"] = "enabled", ["budget_tokens"] = budget }
            : new JsonObject { ["type"] = "disabled" };
        request.Reasoning = new ReasoningRequest(true, effort, budget >= 1024 ? budget : null) { AnthropicThinking = thinking };
    }
}
