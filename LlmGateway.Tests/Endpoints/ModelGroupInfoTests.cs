using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Tests.Infrastructure;
using LlmGateway.Tests.Limits;

namespace LlmGateway.Tests.Endpoints;

/// <summary>LiteLLM's <c>/model_group/info</c> and <c>/v2/model/info</c>.</summary>
public sealed class ModelGroupInfoTests(GovernanceFixture fixture) : IClassFixture<GovernanceFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ModelGroupInfoDescribesEachGroupInLiteLlmsFields()
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var data = (await admin.GetFromJsonAsync<JsonElement>("/model_group/info", Ct)).GetProperty("data");

        Assert.Equal([GovernanceFixture.Model, "other-model"], data.EnumerateArray().Select(g => g.GetProperty("model_group").GetString()).Order());
        var group = data.EnumerateArray().Single(g => g.GetProperty("model_group").GetString() == GovernanceFixture.Model);
        Assert.Equal(["openai"], group.GetProperty("providers").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(0.0001m, group.GetProperty("output_cost_per_token").GetDecimal());
        Assert.Equal(100, group.GetProperty("max_output_tokens").GetInt32());
        Assert.Equal("chat", group.GetProperty("mode").GetString());
        var one = (await admin.GetFromJsonAsync<JsonElement>("/model_group/info?model_group=other-model", Ct)).GetProperty("data");
        Assert.Equal("other-model", one.EnumerateArray().Single().GetProperty("model_group").GetString());
    }

    [Fact]
    public async Task AVirtualKeySeesOnlyTheGroupsItMayUseAndNoKeyIs401()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "group-info" }, new { models = new[] { GovernanceFixture.Model } });
        using var client = fixture.Api.CreateLoopbackClient(key);
        using var anonymous = fixture.Api.CreateLoopbackClient();

        var data = (await client.GetFromJsonAsync<JsonElement>("/model_group/info", Ct)).GetProperty("data");
        using var refused = await anonymous.GetAsync("/model_group/info", Ct);

        Assert.Equal([GovernanceFixture.Model], data.EnumerateArray().Select(g => g.GetProperty("model_group").GetString()));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task V2ModelInfoListsTheSameDeploymentsAsModelInfo()
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var v1 = (await admin.GetFromJsonAsync<JsonElement>("/model/info", Ct)).GetProperty("data");
        var v2 = (await admin.GetFromJsonAsync<JsonElement>("/v2/model/info", Ct)).GetProperty("data");

        Assert.Equal(2, v2.GetArrayLength());
        Assert.Equal(v1.EnumerateArray().Select(d => d.GetProperty("model_info").GetProperty("id").GetString()),
            v2.EnumerateArray().Select(d => d.GetProperty("model_info").GetProperty("id").GetString()));
    }
}
