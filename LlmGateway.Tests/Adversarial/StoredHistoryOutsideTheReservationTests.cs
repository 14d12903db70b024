using System.Net;
using System.Text.Json;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// Attack: continue a long stored conversation with a one-word input (<c>previous_response_id</c>), hoping the
/// reservation prices the one word. The stored history joins the body before the estimate: it is reserved too.
/// </summary>
public sealed class StoredHistoryOutsideTheReservationTests(TestServers servers) : AdversarialTestBase(servers)
{
    [Fact]
    public async Task ALongStoredHistoryCountsInTheReservation()
    {
        // About 6,000 history tokens at $0.00001 = $0.06 against a $0.03 budget; the new input alone is a few tokens.
        var host = await StartApiAsync(Config(Model("chat", "openai/stateful", Primary,
            "input_cost_per_token: 0.00001", "output_cost_per_token: 0", "max_output_tokens: 16")));
        var (teamId, writer) = await TeamAndKeyAsync(host, new { team_alias = "history" });
        var budgeted = await KeyAsync(host, teamId);
        var longInput = JsonSerializer.Serialize(string.Concat(Enumerable.Repeat(" lorem ipsum", 3000)));

        using var first = await PostAsync(host, writer, "/v1/responses", $$"""{"model":"chat","input":{{longInput}}}""");
        var id = JsonDocument.Parse(await first.Content.ReadAsStringAsync(Timeout)).RootElement.GetProperty("id").GetString();
        var upstreamCalls = Primary.RequestCount;
        using var continued = await PostAsync(host, budgeted, "/v1/responses", $$"""{"model":"chat","input":"go on","previous_response_id":"{{id}}"}""");
        var afterContinued = Primary.RequestCount;
        using var alone = await PostAsync(host, budgeted, "/v1/responses", """{"model":"chat","input":"go on"}""");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, continued.StatusCode);
        Assert.Contains("budget_exceeded", await continued.Content.ReadAsStringAsync(Timeout));
        Assert.Equal(upstreamCalls, afterContinued);
        Assert.Equal(HttpStatusCode.OK, alone.StatusCode);
    }

    private async Task<string> KeyAsync(GatewayApiHost host, string teamId)
    {
        using var admin = Client(host);
        using var response = await admin.PostAsync("/key/generate", new StringContent(
            $$"""{"team_id":"{{teamId}}","max_budget":0.03}""", System.Text.Encoding.UTF8, "application/json"), Timeout);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(Timeout)).RootElement.GetProperty("key").GetString()!;
    }
}
