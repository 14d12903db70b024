using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Models;

/// <summary>
/// LiteLLM's <c>/model/new|update|delete</c> with <c>store_model_in_db</c>: a deployment added on one replica serves on the
/// other within a second, survives a restart, and its upstream key is used but never answered nor stored in the clear.
/// </summary>
public sealed class StoredModelsTests(StoredModelsFixture fixture) : IClassFixture<StoredModelsFixture>
{
    private static readonly TimeSpan Propagation = TimeSpan.FromSeconds(1);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AModelAddedOnReplicaAServesOnReplicaBWithinASecondAndItsKeyIsNeverAnsweredNorStoredInTheClear()
    {
        var group = $"db-{Guid.NewGuid():N}";
        var secret = $"sk-upstream-{Guid.NewGuid():N}";
        using var admin = fixture.A.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var created = await PostAsync(admin, "/model/new", NewModel(group, secret, "openai/db-gpt"));
        var added = Stopwatch.StartNew();
        var elapsed = await ServesWithinAsync(fixture.B, group, HttpStatusCode.OK);

        var id = created.GetProperty("model_id").GetString()!;
        var upstream = fixture.Fake.Requests.Last(r => r.Model == "db-gpt");
        using var adminB = fixture.B.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var answers = new[]
        {
            created.GetRawText(),
            await adminB.GetStringAsync("/model/info", Ct), await adminB.GetStringAsync("/v2/model/info", Ct),
            await admin.GetStringAsync("/model/info", Ct), await adminB.GetStringAsync($"/model_group/info?model_group={group}", Ct),
        };
        var row = await Spend.SpendTestData.ScalarAsync<string>(fixture.Database,
            "SELECT row_to_json(p)::text FROM proxy_models p WHERE model_id = @id", ("id", id));

        Assert.True(elapsed < Propagation, $"replica B served the new model {elapsed.TotalMilliseconds:0} ms after /model/new answered");
        Assert.Equal($"Bearer {secret}", upstream.Header("Authorization"));
        Assert.Equal(group, created.GetProperty("model_name").GetString());
        Assert.False(created.GetProperty("litellm_params").TryGetProperty("api_key", out _));
        Assert.All(answers, answer => Assert.DoesNotContain(secret, answer, StringComparison.Ordinal));
        Assert.DoesNotContain(secret, row, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexStringLower(Encoding.UTF8.GetBytes(secret)), row, StringComparison.Ordinal);
        Assert.Contains("\"encrypted_secrets\":\"\\\\x", row, StringComparison.Ordinal);
        var entry = JsonDocument.Parse(answers[2]).RootElement.GetProperty("data").EnumerateArray()
            .Single(e => e.GetProperty("model_info").GetProperty("id").GetString() == id);
        Assert.True(entry.GetProperty("model_info").GetProperty("db_model").GetBoolean());
        Assert.Equal(group, JsonDocument.Parse(answers[4]).RootElement.GetProperty("data")[0].GetProperty("model_group").GetString());
        Assert.True(added.Elapsed > elapsed);
    }

    [Fact]
    public async Task AStoredModelSurvivesARestartAndAnEnvironmentReferenceStaysAReference()
    {
        var group = $"restart-{Guid.NewGuid():N}";
        using var admin = fixture.A.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var created = await PostAsync(admin, "/model/new", NewModel(group, "os.environ/LLMGW_TEST_UNSET_VARIABLE", "openai/restart-gpt"));
        var folder = Spend.SpendTestData.NewDataDirectory();
        await using (var restarted = await fixture.StartReplicaAsync(folder))
        {
            using var response = await Chat(restarted, group);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Spend.SpendTestData.DeleteDirectory(folder);
        Assert.Equal("os.environ/LLMGW_TEST_UNSET_VARIABLE", created.GetProperty("litellm_params").GetProperty("api_key").GetString());
        Assert.Equal("os.environ/LLMGW_TEST_UNSET_VARIABLE", await Spend.SpendTestData.ScalarAsync<string>(fixture.Database,
            "SELECT litellm_params->>'api_key' FROM proxy_models WHERE model_id = @id", ("id", created.GetProperty("model_id").GetString()!)));
    }

    [Fact]
    public async Task AnUpdateAndADeleteOnReplicaAReachReplicaBAndAStreamInFlightOnTheDeletedModelFinishes()
    {
        var group = $"change-{Guid.NewGuid():N}";
        var id = $"id-{Guid.NewGuid():N}";
        using var admin = fixture.A.CreateLoopbackClient(GatewayApiHost.MasterKey);
        await PostAsync(admin, "/model/new", NewModel(group, "sk-first-key", "openai/change-gpt", id));
        await ServesWithinAsync(fixture.B, group, HttpStatusCode.OK);

        var updated = await PostAsync(admin, "/model/update", new { model_info = new { id }, litellm_params = new { api_key = "sk-second-key", rpm = 7 } });
        await LocalProcess.WaitUntilAsync(async () =>
        {
            using var response = await Chat(fixture.B, group);
            return fixture.Fake.Requests.Last(r => r.Model == "change-gpt").Header("Authorization") == "Bearer sk-second-key";
        }, TimeSpan.FromSeconds(5), "replica B using the updated key");

        fixture.Fake.Enqueue(new FakeResponse { Text = string.Join(' ', Enumerable.Range(0, 20).Select(i => $"w{i}")), DelayBetweenChunks = TimeSpan.FromMilliseconds(100) });
        using var streaming = fixture.B.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var stream = streaming.PostAsJsonAsync("/v1/chat/completions",
            new { model = group, stream = true, messages = new[] { new { role = "user", content = "hi" } } }, Ct);
        await LocalProcess.WaitUntilAsync(() => Task.FromResult(fixture.Fake.Requests.Count(r => r.Model == "change-gpt") >= 3),
            TimeSpan.FromSeconds(5), "the stream reaching the upstream");
        var deleted = await PostAsync(admin, "/model/delete", new { id });
        var gone = await ServesWithinAsync(fixture.B, group, HttpStatusCode.NotFound);
        using var streamed = await stream;
        var body = await streamed.Content.ReadAsStringAsync(Ct);

        Assert.Equal(7, updated.GetProperty("litellm_params").GetProperty("rpm").GetInt32());
        Assert.False(updated.GetProperty("litellm_params").TryGetProperty("api_key", out _));
        Assert.Equal($"Model: {id} deleted successfully", deleted.GetProperty("message").GetString());
        Assert.True(gone < Propagation, $"replica B still served the deleted model {gone.TotalMilliseconds:0} ms after /model/delete");
        Assert.Equal(HttpStatusCode.OK, streamed.StatusCode);
        Assert.Contains("w19", body, StringComparison.Ordinal);
        Assert.Contains("[DONE]", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"model_name":"bad","litellm_params":{"model":"antropic/claude"}}""", "litellm_params.model")]
    [InlineData("""{"model_name":"bad","litellm_params":{"api_base":"http://127.0.0.1:1/v1"}}""", "litellm_params.model")]
    [InlineData("""{"litellm_params":{"model":"openai/gpt-4o"}}""", "model_name")]
    [InlineData("""{"model_name":"bad"}""", "litellm_params")]
    [InlineData("""{"model_name":"bad","litellm_params":{"model":"openai/gpt-4o","rpm":-1}}""", "litellm_params.rpm")]
    [InlineData("""{"model_name":"bad","litellm_params":"openai/gpt-4o"}""", "litellm_params")]
    [InlineData("""{"model_name":"bad","litellm_params":{"model":"openai/gpt-4o"},"model_info":{"id":"config-deployment"}}""", "model_info.id")]
    public async Task BadInputIs400NamingTheFieldAndStoresNothing(string body, string param)
    {
        using var admin = fixture.A.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var before = await CountAsync();
        using var response = await admin.PostAsync("/model/new", new StringContent(body, Encoding.UTF8, "application/json"), Ct);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(before, await CountAsync());
    }

    [Theory]
    [InlineData("/model/update", """{"model_info":{"id":"config-deployment"},"litellm_params":{"rpm":5}}""", HttpStatusCode.BadRequest)]
    [InlineData("/model/delete", """{"id":"config-deployment"}""", HttpStatusCode.BadRequest)]
    [InlineData("/model/delete", """{"id":"no-such-model"}""", HttpStatusCode.NotFound)]
    [InlineData("/model/update", """{"model_info":{"id":"no-such-model"}}""", HttpStatusCode.NotFound)]
    public async Task TheConfigFilesModelsAndUnknownIdsCannotBeChanged(string path, string body, HttpStatusCode status)
    {
        using var admin = fixture.A.CreateLoopbackClient(GatewayApiHost.MasterKey);
        using var response = await admin.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"), Ct);
        using var config = await Chat(fixture.A, StoredModelsFixture.ConfigGroup);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, config.StatusCode);
    }

    [Fact]
    public async Task AVirtualKeyCannotAddAModel()
    {
        using var admin = fixture.A.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var (_, key) = await ManagementCalls.CreateTeamAndKeyAsync(admin, new { team_alias = $"models-{Guid.NewGuid():N}" }, null, Ct);
        using var response = await fixture.A.CreateLoopbackClient(key).PostAsJsonAsync("/model/new", NewModel("nope", "sk-x", "openai/x"), Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    private object NewModel(string group, string apiKey, string model, string? id = null) => new
    {
        model_name = group,
        litellm_params = new { model, api_base = fixture.Fake.OpenAiBase.ToString(), api_key = apiKey },
        model_info = new { id, input_cost_per_token = 0.000001, output_cost_per_token = 0.000002 },
    };

    private Task<long> CountAsync() => Spend.SpendTestData.ScalarAsync<long>(fixture.Database, "SELECT count(*) FROM proxy_models");

    private static async Task<HttpResponseMessage> Chat(GatewayApiHost host, string group)
    {
        using var client = host.CreateLoopbackClient(GatewayApiHost.MasterKey);
        return await client.PostAsJsonAsync("/v1/chat/completions", new { model = group, messages = new[] { new { role = "user", content = "hi" } } }, Ct);
    }

    /// <summary>Asks <paramref name="host"/> until it answers <paramref name="status"/> for the group; the time it took.</summary>
    private static async Task<TimeSpan> ServesWithinAsync(GatewayApiHost host, string group, HttpStatusCode status)
    {
        var watch = Stopwatch.StartNew();
        await LocalProcess.WaitUntilAsync(async () =>
        {
            using var response = await Chat(host, group);
            return response.StatusCode == status;
        }, TimeSpan.FromSeconds(10), $"the group answering {status}");
        return watch.Elapsed;
    }

    private static async Task<JsonElement> PostAsync(HttpClient client, string path, object body)
    {
        using var response = await client.PostAsJsonAsync(path, body, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
