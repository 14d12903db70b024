using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Providers.OpenAiResponses;

/// <summary>Canonical tools and tool choice → Responses <c>tools</c> (flat function and custom tools), <c>tool_choice</c>, <c>parallel_tool_calls</c>.</summary>
internal static class OpenAiResponsesToolEncoder
{
    /// <summary>The hosted tools OpenAI runs itself: passed on as the client sent them.</summary>
    private static readonly HashSet<string> OpenAiHosted =
    [
        "web_search", "web_search_preview", "file_search", "code_interpreter", "image_generation", "mcp",
        "computer_use_preview", "local_shell",
    ];

    /// <summary>Another provider's hosted tool is refused (or dropped with drop_params); without tools left, no choice is sent.</summary>
    public static TranslationError? AddTools(CanonicalRequest request, bool dropParams, JsonObject body)
    {
        var tools = new JsonArray();
        var dropped = new HashSet<string>(StringComparer.Ordinal);
        for (var k = 0; k < request.Tools.Count; k++)
        {
            var tool = request.Tools[k];
            if (tool.HostedType is { } hostedType)
            {
                if (tool.Raw is { } raw && OpenAiHosted.Contains(TranslationJson.GetString(raw["type"]) ?? ""))
                {
                    tools.Add(raw.DeepClone());
                    continue;
                }

                if (dropParams)
                {
                    dropped.Add(tool.Name);
                    continue;
                }

                return new TranslationError($"tools[{k}].type", $"server tool '{hostedType}' cannot be served by an OpenAI Responses deployment");
            }

            tools.Add(tool.Freeform ? Custom(tool) : Function(tool));
        }

        if (tools.Count == 0)
        {
            return null;
        }

        body["tools"] = tools;
        if (Choice(request, dropped) is { } choice)
        {
            body["tool_choice"] = choice;
        }

        if (request.ParallelToolCalls is { } parallel)
        {
            body["parallel_tool_calls"] = parallel;
        }

        return null;
    }

    private static JsonObject Function(ToolDefinition tool)
    {
        var function = new JsonObject { ["type"] = "function", ["name"] = tool.Name };
        if (tool.Description is { Length: > 0 } description)
        {
            function["description"] = description;
        }

        function["parameters"] = tool.Parameters?.DeepClone() ?? new JsonObject { ["type"] = "object", ["properties"] = new JsonObject() };
        // The Responses API defaults strict to true, which refuses most hand-written schemas: false unless asked.
        function["strict"] = tool.Strict ?? false;
        return function;
    }

    private static JsonObject Custom(ToolDefinition tool)
    {
        var custom = new JsonObject { ["type"] = "custom", ["name"] = tool.Name };
        if (tool.Description is { Length: > 0 } description)
        {
            custom["description"] = description;
        }

        if (tool.Format is { } format)
        {
            custom["format"] = format.DeepClone();
        }

        return custom;
    }

    private static JsonNode? Choice(CanonicalRequest request, HashSet<string> dropped) => request.ToolChoice switch
    {
        null => null,
        { Kind: ToolChoiceKind.Auto } => "auto",
        { Kind: ToolChoiceKind.Required } => "required",
        { Kind: ToolChoiceKind.None } => "none",
        { Name: { } name } when dropped.Contains(name) => null,
        { Name: var name } => new JsonObject
        {
            ["type"] = request.Tools.Exists(tool => tool.Freeform && tool.Name == name) ? "custom" : "function",
            ["name"] = name ?? "",
        },
    };
}
