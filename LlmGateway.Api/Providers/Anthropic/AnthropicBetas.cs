namespace LlmGateway.Api.Providers.Anthropic;

/// <summary><c>Gateway:Anthropic</c>: what the gateway passes on to Anthropic deployments.</summary>
public sealed class AnthropicOptions
{
    /// <summary>The <c>anthropic-beta</c> flags forwarded; null means <see cref="AnthropicBetas.Defaults"/>, <c>*</c> allows all.</summary>
    public string[]? AllowedBetas { get; set; }
}

/// <summary>
/// The allow-list of <c>anthropic-beta</c> flags: an allowed flag reaches Anthropic deployments, any other is dropped
/// silently (as LiteLLM does), so a client cannot switch on a beta the platform team has not agreed to pay for.
/// </summary>
public sealed class AnthropicBetas
{
    /// <summary>What Claude Code 2.1.x sends.</summary>
    public static readonly string[] Defaults =
    [
        "claude-code-20250219", "interleaved-thinking-2025-05-14", "context-management-2025-06-27", "advanced-tool-use-2025-11-20",
        "fine-grained-tool-streaming-2025-05-14", "prompt-caching-2024-07-31", "token-efficient-tools-2025-02-19",
        "context-1m-2025-08-07", "effort-2025-11-24",
    ];

    private readonly HashSet<string> allowed;
    private readonly bool all;

    public AnthropicBetas(AnthropicOptions options)
    {
        var list = options.AllowedBetas ?? Defaults;
        all = list.Contains("*");
        allowed = new HashSet<string>(list.Select(b => b.Trim()), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The client's comma-separated flags with the ones not allowed removed; null when none is left.</summary>
    public string? Filter(string? header)
    {
        if (header is null || all)
        {
            return header;
        }

        var kept = header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Where(allowed.Contains).ToArray();
        return kept.Length == 0 ? null : string.Join(',', kept);
    }
}
