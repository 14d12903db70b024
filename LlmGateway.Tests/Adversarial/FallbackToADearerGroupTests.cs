using System.Net;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// Attack: reserve for a cheap group, be served by a dear one — a fallback (configured, or the request's own) moves the
/// request to a group whose worst case the reservation never covered. The reservation is for the dearest group the
/// request may reach: its own and every fallback the key may use.
/// </summary>
public sealed class FallbackToADearerGroupTests(TestServers servers) : AdversarialTestBase(servers)
{
    // chat's worst case: 100 × $0.000001 = $0.0001; premium's: 100 × $0.001 = $0.10; the key's budget: $0.05.
    private string Groups(string settings = "") => Config(
        Model("chat", "openai/cheap", Primary, "input_cost_per_token: 0", "output_cost_per_token: 0.000001", "max_output_tokens: 100")
        + Model("premium", "openai/dear", Backup, "input_cost_per_token: 0", "output_cost_per_token: 0.001", "max_output_tokens: 100"),
        settings);

    [Fact]
    public async Task AConfiguredFallbackToADearerGroupIsReservedAtItsPrice()
    {
        var host = await StartApiAsync(Groups("litellm_settings:\n  fallbacks: [{\"chat\": [\"premium\"]}]"));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "dear-fallback" }, new { max_budget = 0.05 });

        using var response = await ChatAsync(host, key);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Contains("budget_exceeded", await response.Content.ReadAsStringAsync(Timeout));
        Assert.Equal(0, Primary.RequestCount + Backup.RequestCount);
    }

    [Fact]
    public async Task AFallbackTheKeyMayNotUseDoesNotRaiseItsReservation()
    {
        var host = await StartApiAsync(Groups("litellm_settings:\n  fallbacks: [{\"chat\": [\"premium\"]}]"));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "dear-fallback-closed" }, new { max_budget = 0.05, models = new[] { "chat" } });

        using var response = await ChatAsync(host, key);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ARequestsOwnFallbackToADearerGroupIsReservedAtItsPrice()
    {
        var host = await StartApiAsync(Groups());
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "dear-request-fallback" }, new { max_budget = 0.05 });

        using var withFallback = await ChatAsync(host, key, "\"fallbacks\":[\"premium\"]");
        var upstreamCalls = Primary.RequestCount + Backup.RequestCount;
        using var without = await ChatAsync(host, key);

        Assert.Equal(HttpStatusCode.TooManyRequests, withFallback.StatusCode);
        Assert.Equal(0, upstreamCalls);
        Assert.Equal(HttpStatusCode.OK, without.StatusCode);
    }
}
