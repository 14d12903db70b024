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
    [InlineData("/team/member_add", "{not json", null)]
    [InlineData("/team/member_add", "{\"team_id\": \"no-such-team\"}", "member")]
    [InlineData("/team/member_add", "{\"team_id\": \"no-such-team\", \"member\": {\"user_id\": 5}}", "member")]
    [InlineData("/team/member_add", "{\"team_id\": \"no-such-team\", \"member\": {\"user_id\": \"u\"}}", "team_id")]
    [InlineData("/team/member_add", "{\"team_id\": \"t\", \"member\": {\"user_id\": \"u\"}, \"max_budget_in_team\": -1}", "max_budget_in_team")]
    [InlineData("/team/member_update", "{\"team_id\": \"no-such-team\", \"user_id\": \"u\"}", "team_id")]
    [InlineData("/team/member_update", "{\"team_id\": \"t\", \"user_id\": \"u\", \"role\": \"owner\"}", "role")]
    [InlineData("/team/member_delete", "{}", "team_id")]
    [InlineData("/team/new", "{\"organization_id\": \"no-such-org\"}", "organization_id")]
    [InlineData("/organization/new", "{not json", null)]
    [InlineData("/organization/new", "{}", "organization_alias")]
    [InlineData("/organization/new", "{\"organization_alias\": \"a\", \"max_budget\": -1}", "max_budget")]
    [InlineData("/organization/update", "{\"organization_id\": \"no-such-org\"}", "organization_id")]
    [InlineData("/organization/delete", "{\"organization_ids\": [\"no-such-org\"]}", "organization_ids")]
    [InlineData("/organization/info", "{}", "organizations")]
    [InlineData("/organization/member_add", "{\"organization_id\": \"no-such-org\", \"member\": {\"user_id\": \"u\"}}", "organization_id")]
    [InlineData("/organization/member_add", "{\"organization_id\": \"o\", \"member\": {\"user_id\": \"u\", \"role\": \"owner\"}}", "member.role")]
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
