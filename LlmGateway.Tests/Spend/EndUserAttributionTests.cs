using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Tests.Clients;
using static LlmGateway.Tests.Clients.CodingAgentFixture;

namespace LlmGateway.Tests.Spend;

/// <summary>
/// The ledger's <c>end_user</c> names the developer or customer a request was for: the team's <c>x-gateway-end-user</c>
/// header, else Claude Code's <c>metadata.user_id</c> reduced to its account or device (never its session), else chat's
/// <c>user</c>; bounded. <c>/spend/summary?group_by=end_user</c> then shows spend per developer.
/// </summary>
public sealed class EndUserAttributionTests(CodingAgentFixture fixture) : IClassFixture<CodingAgentFixture>, IAsyncLifetime
{
    private const string Device = "7f2bf07d19743fddf8d434909f656fa8fc881725fff87be174511adf316d4c20";

    private readonly CancellationTokenSource timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
    private HttpClient client = null!;
    private string key = "";

    private CancellationToken Timeout => timeout.Token;

    public async ValueTask InitializeAsync()
    {
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        fixture.Fake.Reset();
        key = await fixture.NewKeyAsync(Timeout);
        client = fixture.Api.CreateLoopbackClient(key);
    }

    public ValueTask DisposeAsync()
    {
        client.Dispose();
        timeout.Dispose();
        return ValueTask.CompletedTask;
    }

    [Theory]
    [InlineData($$"""{"device_id":"{{Device}}","account_uuid":"","session_id":"3f1c5e2a-0000-4000-8000-000000000001"}""", Device)]
    [InlineData($$"""{"device_id":"{{Device}}","account_uuid":"acc-42","session_id":"3f1c5e2a-0000-4000-8000-000000000001"}""", "acc-42")]
    [InlineData("user_dev-1_account__session_3f1c5e2a-0000-4000-8000-000000000001", "dev-1")]
    [InlineData("user_dev-1_account_acc-7_session_3f1c5e2a-0000-4000-8000-000000000001", "acc-7")]
    [InlineData("alice@example.com", "alice@example.com")]
    public async Task AMessagesRequestIsAttributedToTheDeveloperInItsMetadataUserIdNeverToItsSession(string userId, string endUser)
    {
        var requestId = await SendMessagesAsync(userId);

        var row = await fixture.LedgerRowAsync(requestId, Timeout);

        Assert.Equal(endUser, row.GetProperty("end_user").GetString());
    }

    [Fact]
    public async Task TheTeamsEndUserHeaderWinsOverWhatTheBodySays()
    {
        var requestId = await SendMessagesAsync("""{"device_id":"dev-9","account_uuid":"","session_id":"s-1"}""", header: "bob@example.com");

        var row = await fixture.LedgerRowAsync(requestId, Timeout);

        Assert.Equal("bob@example.com", row.GetProperty("end_user").GetString());
    }

    [Fact]
    public async Task AChatCompletionsUserIsTheEndUserCutTo128CharactersWithoutControlCharacters()
    {
        var user = "carol\u0007\u202e" + new string('x', 300);
        using var response = await client.PostAsJsonAsync("/v1/chat/completions", new JsonObject
        {
            ["model"] = OpenAiGroup,
            ["user"] = user,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Say hello" }),
        }, Timeout);
        response.EnsureSuccessStatusCode();

        var row = await fixture.LedgerRowAsync(RequestId(response), Timeout);

        Assert.Equal("carol" + new string('x', 123), row.GetProperty("end_user").GetString());
    }

    [Fact]
    public async Task SpendSummaryGroupedByEndUserShowsOneRowPerDeveloperWhateverTheirSessions()
    {
        var ids = new List<string>();
        foreach (var (device, session) in new[] { ("dev-a", "s-1"), ("dev-a", "s-2"), ("dev-a", "s-3"), ("dev-b", "s-4") })
            ids.Add(await SendMessagesAsync($$"""{"device_id":"{{device}}","account_uuid":"","session_id":"{{session}}"}"""));
        foreach (var id in ids)
            await fixture.LedgerRowAsync(id, Timeout);

        var byEndUser = await SummaryAsync("end_user");
        var byCustomer = await SummaryAsync("customer");

        Assert.Equal([("dev-a", 3L), ("dev-b", 1L)], byEndUser);
        Assert.Equal(byEndUser, byCustomer);
    }

    private async Task<List<(string, long)>> SummaryAsync(string groupBy)
    {
        using var admin = fixture.Api.CreateLoopbackClient(Infrastructure.GatewayApiHost.MasterKey);
        var rows = await admin.GetFromJsonAsync<JsonElement[]>(
            $"/spend/summary?group_by={groupBy}&api_key={Uri.EscapeDataString(key)}", Timeout);
        return [.. rows!.Select(r => (r.GetProperty("key").GetString()!, r.GetProperty("requests").GetInt64())).OrderBy(r => r.Item1)];
    }

    private async Task<string> SendMessagesAsync(string userId, string? header = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages?beta=true")
        {
            Content = JsonContent.Create(new JsonObject
            {
                ["model"] = AnthropicGroup,
                ["max_tokens"] = 100,
                ["metadata"] = new JsonObject { ["user_id"] = userId },
                ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Say hello" }),
            }),
        };
        request.Headers.Add("anthropic-version", "2023-06-01");
        if (header is not null)
            request.Headers.Add("x-gateway-end-user", header);
        using var response = await client.SendAsync(request, Timeout);
        response.EnsureSuccessStatusCode();
        return RequestId(response);
    }

    private static string RequestId(HttpResponseMessage response) => response.Headers.GetValues("x-request-id").Single();
}
