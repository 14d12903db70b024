using System.Text.Json.Nodes;

namespace LlmGateway.Tests.Fixtures;

/// <summary>
/// Claude Code 2.1.x's request shapes (../shared/reference/coding-agents.md), shortened but with every feature it sends:
/// system text blocks with cache_control, tools with defer_loading and cache_control, thinking with a budget and display,
/// context_management, metadata.user_id as a JSON string, a stream, and a history with tool use and an is_error result.
/// </summary>
public static class ClaudeCodeRequests
{
    public const string Betas =
        "claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27,advanced-tool-use-2025-11-20,fine-grained-tool-streaming-2025-05-14";

    public const string UserId = """{"device_id":"4f1c2a9e7b6d","account_uuid":"","session_id":"6a0e3c1d-5b2f-4e8a-9d7c-1f2e3a4b5c6d"}""";

    /// <summary>The turn after a tool round: the model called Bash (it worked) and ReadMe (no such tool, so is_error).</summary>
    public static JsonObject ToolRound(string model) => new()
    {
        ["model"] = model,
        ["messages"] = JsonNode.Parse(Messages),
        ["system"] = JsonNode.Parse(System),
        ["tools"] = JsonNode.Parse(Tools),
        ["metadata"] = new JsonObject { ["user_id"] = UserId },
        ["max_tokens"] = 32000,
        ["thinking"] = JsonNode.Parse("""{"type":"enabled","budget_tokens":31999,"display":"omitted"}"""),
        ["context_management"] = JsonNode.Parse("""{"edits":[{"type":"clear_thinking_20251015","keep":"all"}]}"""),
        ["stream"] = true,
    };

    private const string System = """
        [{"type":"text","text":"x-anthropic-billing-header: cc_version=2.1.332; cc_entrypoint=sdk-cli"},
         {"type":"text","text":"You are Claude Code, Anthropic's official CLI for Claude.","cache_control":{"type":"ephemeral"}},
         {"type":"text","text":"You are an interactive CLI tool that helps users with software engineering tasks.","cache_control":{"type":"ephemeral","ttl":"1h"}}]
        """;

    private const string Tools = """
        [{"name":"Bash","description":"Executes a given bash command.","input_schema":{"$schema":"http://json-schema.org/draft-07/schema#","type":"object",
           "properties":{"command":{"type":"string","description":"The command to execute"},"description":{"type":"string"}},"required":["command"],"additionalProperties":false}},
         {"name":"Read","description":"Reads a file from the local filesystem.","input_schema":{"type":"object",
           "properties":{"file_path":{"type":"string"},"limit":{"type":"number"}},"required":["file_path"],"additionalProperties":false}},
         {"name":"WebFetch","description":"Fetches content from a URL.","defer_loading":true,"input_schema":{"type":"object",
           "properties":{"url":{"type":"string","format":"uri"},"prompt":{"type":"string"}},"required":["url","prompt"]}},
         {"name":"mcp__github__create_issue","description":"Create a GitHub issue.","defer_loading":true,"cache_control":{"type":"ephemeral"},
           "input_schema":{"type":"object","properties":{"title":{"type":"string"},"body":{"type":"string"}},"required":["title"]}}]
        """;

    private const string Messages = """
        [{"role":"user","content":[{"type":"text","text":"<system-reminder>As you answer, use the tools available.</system-reminder>"},
           {"type":"text","text":"List the files in src and read README.md","cache_control":{"type":"ephemeral"}}]},
         {"role":"assistant","content":[{"type":"thinking","thinking":"I should list the files first.","signature":"EqQBCkYIBxgCKkBsig=="},
           {"type":"text","text":"I'll look."},
           {"type":"tool_use","id":"toolu_01Bash","name":"Bash","input":{"command":"ls src","description":"List files in src"}},
           {"type":"tool_use","id":"toolu_02ReadMe","name":"ReadMe","input":{"file_path":"README.md"}}]},
         {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_01Bash","content":"Program.cs\nREADME.md","is_error":false},
           {"type":"tool_result","tool_use_id":"toolu_02ReadMe","content":"<tool_use_error>Error: No such tool available: ReadMe</tool_use_error>","is_error":true,
            "cache_control":{"type":"ephemeral"}}]}]
        """;
}
