using System.Net;
using System.Text;
using System.Text.Json;
using LlmGateway.Tests.Infrastructure;
using LlmGateway.Tests.Limits;

namespace LlmGateway.Tests.Management;

public sealed class ManagementBadInputTests(GovernanceFixture fixture) : IClassFixture<GovernanceFixture>
{
    [Theory]
    [InlineData("/team/new", "{not json", null)]
    [InlineData("/team/new", "{\"max_budget\": \"ten\"}", null)]
    [InlineData("/team/new", "{\"budget_duration\": \"fortnight\"}", "budget_duration")]
    [InlineData("/team/new", "{\"max_budget\": -1}", "max_budget")]
    [InlineData("/key/generate", "{\"duration\": \"forever\"}", "duration")]
    [InlineData("/key/generate", "{\"team_id\": \"no-such-team\"}", "team_id")]
    [InlineData("/key/update", "{\"key\": \"sk-unknown\"}", "key")]
    public async Task ABadManagementBodyGetsAClearErrorInTheOpenAiEnvelope(string path, string body, string? param)
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        using var response = await admin.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"got {response.StatusCode}");
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("error");
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        if (param is not null)
        {
            Assert.Equal(param, error.GetProperty("param").GetString());
        }
    }
}
