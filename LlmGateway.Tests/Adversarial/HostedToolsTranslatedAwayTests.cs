using System.Net;
using System.Text.Json;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// Codex sends OpenAI's hosted <c>web_search</c> on every call. On a deployment that runs it (OpenAI's Responses API) it
/// is billed per call, so it needs <c>model_info.allowed_premium</c>; on one that cannot run it (Anthropic) it is
/// translated away — a 400 naming the tool, or dropped under <c>drop_params: true</c> — and is not a premium feature there,
/// so LiteLLM's <c>drop_params</c> habit keeps Codex working on Anthropic model groups.
/// </summary>
public sealed class HostedToolsTranslatedAwayTests(Infrastructure.TestServers servers) : AdversarialTestBase(servers)
{
    private const string WebSearchRequest =
        """{"model":"MODEL","input":"hello","tools":[{"type":"function","name":"f","parameters":{}},{"type":"web_search"}]}""";

    private string Yaml(string settings) => Config(
        Model("claude", "anthropic/claude-sonnet-4-5", Primary, "input_cost_per_token: 0.000001", "output_cost_per_token: 0.000002")
        + Model("gpt", "openai/gpt-5", Primary, "input_cost_per_token: 0.000001", "output_cost_per_token: 0.000002"),
        settings);

    [Fact]
    public async Task UnderDropParamsAHostedToolForAnAnthropicGroupIsDroppedNotRefusedAsPremium()
    {
        var host = await StartApiAsync(Yaml("litellm_settings:\n  drop_params: true\n"));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "hosted-dropped", max_budget = 5 });

        using var anthropic = await PostAsync(host, key, "/v1/responses", WebSearchRequest.Replace("MODEL", "claude"));
        using var openAi = await PostAsync(host, key, "/v1/responses", WebSearchRequest.Replace("MODEL", "gpt"));

        Assert.Equal(HttpStatusCode.OK, anthropic.StatusCode);
        Assert.Contains("web_search", string.Join(",", anthropic.Headers.GetValues("x-gateway-dropped-params")));
        // The OpenAI deployment would run (and bill) the search: premium, refused until allowed.
        Assert.Equal(HttpStatusCode.BadRequest, openAi.StatusCode);
        Assert.Equal("premium_feature_not_allowed", Error(await openAi.Content.ReadAsStringAsync(Timeout)).GetProperty("code").GetString());
        Assert.Equal(1, Primary.RequestCount);
    }

    [Fact]
    public async Task WithoutDropParamsAHostedToolForAnAnthropicGroupIsA400NamingTheTool()
    {
        var host = await StartApiAsync(Yaml(""));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "hosted-refused", max_budget = 5 });

        using var response = await PostAsync(host, key, "/v1/responses", WebSearchRequest.Replace("MODEL", "claude"));
        var error = Error(await response.Content.ReadAsStringAsync(Timeout));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("tools[1].type", error.GetProperty("param").GetString());
        Assert.NotEqual("premium_feature_not_allowed", error.TryGetProperty("code", out var code) ? code.GetString() : null);
        Assert.Equal(0, Primary.RequestCount);
    }

    private static JsonElement Error(string body) => JsonDocument.Parse(body).RootElement.GetProperty("error").Clone();
}
