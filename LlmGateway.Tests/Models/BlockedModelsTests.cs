using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Models;

/// <summary>
/// LiteLLM's <c>model_info.blocked</c> through <c>/model/update</c>: a blocked deployment is kept (and listed by
/// <c>/model/info</c>) but serves nothing, on every replica; unblocked, it serves again.
/// </summary>
public sealed class BlockedModelsTests(StoredModelsFixture fixture) : IClassFixture<StoredModelsFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ABlockedDeploymentMakesNoUpstreamCallOnEitherReplicaAndServesAgainOnceUnblocked()
    {
        var group = $"blocked-{Guid.NewGuid():N}";
        var id = $"id-{Guid.NewGuid():N}";
        using var admin = fixture.A.CreateLoopbackClient(GatewayApiHost.MasterKey);
        await PostAsync(admin, "/model/new", new
        {
            model_name = group,
            litellm_params = new { model = "openai/blocked-gpt", api_base = fixture.Fake.OpenAiBase.ToString(), api_key = "sk-blocked" },
            model_info = new { id },
        });
        await AnswersAsync(fixture.B, group, HttpStatusCode.OK);

        await PostAsync(admin, "/model/update", new { model_info = new { id, blocked = true } });
        await AnswersAsync(fixture.B, group, HttpStatusCode.NotFound);
        var calls = fixture.Fake.Requests.Count(r => r.Model == "blocked-gpt");
        using var onA = await ChatAsync(fixture.A, group);
        using var onB = await ChatAsync(fixture.B, group);
        var error = JsonDocument.Parse(await onA.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("error");
        var models = await admin.GetStringAsync("/v1/models", Ct);
        var entry = JsonDocument.Parse(await admin.GetStringAsync("/model/info", Ct)).RootElement.GetProperty("data").EnumerateArray()
            .Single(e => e.GetProperty("model_info").GetProperty("id").GetString() == id);

        Assert.Equal(HttpStatusCode.NotFound, onA.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, onB.StatusCode);
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
        Assert.Equal(calls, fixture.Fake.Requests.Count(r => r.Model == "blocked-gpt"));
        Assert.DoesNotContain(group, models, StringComparison.Ordinal);
        Assert.True(entry.GetProperty("model_info").GetProperty("blocked").GetBoolean());

        await PostAsync(admin, "/model/update", new { model_info = new { id, blocked = false } });
        await AnswersAsync(fixture.B, group, HttpStatusCode.OK);
        Assert.True(fixture.Fake.Requests.Count(r => r.Model == "blocked-gpt") > calls);
    }

    [Fact]
    public async Task ABlockedFlagThatIsNotABooleanIs400NamingIt()
    {
        using var admin = fixture.A.CreateLoopbackClient(GatewayApiHost.MasterKey);
        using var response = await admin.PostAsJsonAsync("/model/new", new
        {
            model_name = "bad-blocked",
            litellm_params = new { model = "openai/x", api_base = fixture.Fake.OpenAiBase.ToString() },
            model_info = new { blocked = "maybe" },
        }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("model_info.blocked", JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement
            .GetProperty("error").GetProperty("param").GetString());
    }

    private static async Task<HttpResponseMessage> ChatAsync(GatewayApiHost host, string group)
    {
        using var client = host.CreateLoopbackClient(GatewayApiHost.MasterKey);
        return await client.PostAsJsonAsync("/v1/chat/completions", new { model = group, messages = new[] { new { role = "user", content = "hi" } } }, Ct);
    }

    private static Task AnswersAsync(GatewayApiHost host, string group, HttpStatusCode status) =>
        LocalProcess.WaitUntilAsync(async () =>
        {
            using var response = await ChatAsync(host, group);
            return response.StatusCode == status;
        }, TimeSpan.FromSeconds(10), $"{group} answering {status}");

    private static async Task PostAsync(HttpClient client, string path, object body)
    {
        using var response = await client.PostAsJsonAsync(path, body, Ct);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
    }
}
