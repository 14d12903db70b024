using System.Net;
using System.Net.Http.Json;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Limits;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// Attack: ask for many answers in one request. <c>n: 8</c> is billed 8 outputs, but the reservation covered one, so six
/// concurrent requests on a budget covering one were 4 admitted. The worst case and the tpm reservation now count every
/// choice's output ceiling.
/// </summary>
public sealed class ChoicesOutsideTheReservationTests(GovernanceFixture fixture) : IClassFixture<GovernanceFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SixConcurrentRequestsForEightChoicesOnABudgetCoveringOneAdmitOne()
    {
        // Worst case of one request: 8 choices × min(400, the model's 100 output tokens) × $0.0001 = $0.08.
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "eight-choices", max_budget = 0.10 });
        fixture.Upstream.Default = FakeResponse.Ok with { PromptTokens = 10, CompletionTokens = 100, DelayBeforeHeaders = TimeSpan.FromMilliseconds(500) };
        HttpStatusCode[] statuses;
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
            statuses = await Task.WhenAll(Enumerable.Range(0, 6).Select(async i =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri((i % 2 == 0 ? fixture.Api : fixture.Replica).BaseAddress, "/v1/chat/completions"))
                {
                    Headers = { Authorization = new("Bearer", key) },
                    Content = JsonContent.Create(new { model = GovernanceFixture.Model, n = 8, max_tokens = 400, messages = new[] { new { role = "user", content = "hi" } } }),
                };
                using var response = await http.SendAsync(request, Ct);
                return response.StatusCode;
            }));
        }
        finally
        {
            fixture.Upstream.Default = FakeResponse.Ok with { PromptTokens = 10, CompletionTokens = 100 };
        }

        Assert.Equal(1, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
    }

    [Fact]
    public async Task TpmReservesEveryChoicesOutputNotOnlyThePrompt()
    {
        // 8 choices × 100 output tokens + the prompt > 500 tokens a minute: refused before the upstream is called.
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "eight-choices-tpm" }, new { tpm_limit = 500 });
        var before = fixture.Upstream.RequestCount;
        using var client = fixture.Api.CreateLoopbackClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Headers = { Authorization = new("Bearer", key) },
            Content = JsonContent.Create(new { model = GovernanceFixture.Model, n = 8, messages = new[] { new { role = "user", content = "hi" } } }),
        };
        using var response = await client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Contains("tokens", await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(before, fixture.Upstream.RequestCount);
    }
}
