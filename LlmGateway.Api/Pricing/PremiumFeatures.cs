using System.Text.Json;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;

namespace LlmGateway.Api.Pricing;

/// <summary>
/// Request features that change what the provider bills beyond tokens at the deployment's rates: a paid
/// <c>service_tier</c> (<c>priority</c>, <c>flex</c>, <c>scale</c>), Anthropic's 1M-token context beta (<c>context-1m-*</c>),
/// and hosted tools the provider runs and bills per call (web search and fetch, code execution, file search, computer
/// use, image generation, remote MCP) — and one that bills nothing but costs the other tenants: a request <c>priority</c>
/// (vLLM's priority scheduling runs lower numbers first, so one tenant could jump every other's queue). Refused (400, no
/// upstream call) unless every deployment of the model group lists the feature in <c>model_info.allowed_premium</c>.
/// Allowed ones are priced where the provider's usage shows them: the priority tier at its rates
/// (<see cref="Price.AtPriority"/>), a long context at the long-context rates (<see cref="Price.ForPrompt"/>).
/// </summary>
public static class PremiumFeatures
{
    /// <summary>A request's own <c>priority</c> (vLLM, SGLang): its place in the server's queue, ahead of other tenants'.</summary>
    private const string QueuePriority = "priority";

    // Compared to the decoded value: "\u0070riority" is "priority" to the provider.
    private static readonly byte[][] PaidTiers = [.. new[] { "priority", "flex", "scale" }.Select(t => System.Text.Encoding.UTF8.GetBytes(t))];

    // Hosted tool types by prefix (OpenAI Responses' web_search_preview, Anthropic's web_search_20250305, …) → feature.
    private static readonly (string Prefix, string Feature)[] HostedTools =
    [
        ("web_search", "web_search"), ("web_fetch", "web_fetch"), ("code_execution", "code_execution"),
        ("code_interpreter", "code_execution"), ("file_search", "file_search"), ("computer_use", "computer_use"),
        ("image_generation", "image_generation"), ("mcp", "mcp"),
    ];

    /// <summary>
    /// The 400 naming the first premium feature of the request a deployment of <paramref name="group"/> does not allow, or
    /// null. A hosted tool counts only on a deployment that would run it (<see cref="RunsHostedTools"/>): elsewhere it is
    /// translated away — a 400 naming the tool, or dropped under <c>drop_params</c> — and nothing is billed for it.
    /// </summary>
    /// <param name="callType">The client API: <c>responses</c>, <c>messages</c>, <c>chat_completions</c>, …</param>
    public static GatewayError? Refusal(ModelGroup group, JsonBody body, string? anthropicBeta, string callType)
    {
        foreach (var (feature, param) in Detect(body, anthropicBeta))
        {
            var hostedTool = param.StartsWith("tools[", StringComparison.Ordinal) || param == "web_search_options";
            if (group.Deployments.FirstOrDefault(d => !Allows(d, feature) && (!hostedTool || RunsHostedTools(d, callType))) is { } refusing)
            {
                var why = feature == QueuePriority
                    ? "which asks the server to run this request ahead of other requests"
                    : "which the provider bills beyond the model's token prices";
                return GatewayError.InvalidRequest(
                    $"'{param}' asks for '{feature}', {why}, and deployment " +
                    $"'{refusing.Id}' of model group '{group.Name}' does not allow it. An admin can allow it with " +
                    $"model_info.allowed_premium: [\"{feature}\"] on the model group's deployments.",
                    param, "premium_feature_not_allowed");
            }
        }

        return null;
    }

    /// <summary>Whether the request asks for OpenAI's priority processing (<c>service_tier: "priority"</c>), billed at its own rates.</summary>
    public static bool AsksPriority(JsonBody? body) =>
        body is not null && body.TryGet("service_tier", out var tier) && body.StringIsAny(tier, [PaidTiers[0]]);

    /// <summary>Whether the deployment receives the client's hosted tools as they are (same wire format both sides).</summary>
    private static bool RunsHostedTools(DeploymentConfig deployment, string callType) => callType switch
    {
        "responses" => deployment.UseResponsesApi,
        "messages" => deployment.Provider == ProviderKind.Anthropic,
        _ => deployment.Provider is not (ProviderKind.Anthropic or ProviderKind.Mock),
    };

    private static bool Allows(DeploymentConfig deployment, string feature) =>
        deployment.ModelInfo.AllowedPremium.Any(a => a.Equals(feature, StringComparison.OrdinalIgnoreCase) || a == "*");

    /// <summary>(feature, the request field or header that asks for it).</summary>
    private static IEnumerable<(string Feature, string Param)> Detect(JsonBody body, string? anthropicBeta)
    {
        if (body.TryGet("service_tier", out var tier) && body.StringIsAny(tier, PaidTiers))
        {
            yield return ("service_tier", "service_tier");
        }

        if (!string.IsNullOrEmpty(anthropicBeta) && anthropicBeta.Split(',').Any(b => b.Trim().StartsWith("context-1m", StringComparison.OrdinalIgnoreCase)))
        {
            yield return ("context-1m", "anthropic-beta");
        }

        if (body.TryGet(QueuePriority, out var priority) && priority.Kind != JsonTokenType.Null)
        {
            yield return (QueuePriority, QueuePriority);
        }

        if (body.TryGet("web_search_options", out var options) && options.Kind != JsonTokenType.Null)
        {
            yield return ("web_search", "web_search_options");
        }

        foreach (var tool in body.HostedTools)
        {
            if (HostedTools.FirstOrDefault(h => tool.Type.StartsWith(h.Prefix, StringComparison.Ordinal)).Feature is { } feature)
            {
                yield return (feature, $"tools[{tool.Index}].type");
            }
        }
    }
}
