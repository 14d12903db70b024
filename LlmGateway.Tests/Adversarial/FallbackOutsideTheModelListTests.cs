using System.Net;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// Attack: reach a model group the key may not use through a fallback — make the allowed group fail (or send a prompt too
/// long for it), or name the group in the request's own <c>fallbacks</c>. A fallback outside the key's, team's or user's
/// model list is skipped (logged, named in <c>x-gateway-skipped-fallbacks</c>), never served.
/// </summary>
public sealed class FallbackOutsideTheModelListTests(TestServers servers) : AdversarialTestBase(servers)
{
    private string Groups(string settings) => Config(
        Model("chat", "openai/cheap", Primary, "input_cost_per_token: 0", "output_cost_per_token: 0.000001", "max_input_tokens: 2000")
        + Model("premium", "openai/dear", Backup, "input_cost_per_token: 0", "output_cost_per_token: 0.000001"),
        settings);

    private const string OnError = "litellm_settings:\n  fallbacks: [{\"chat\": [\"premium\"]}]";

    [Fact]
    public async Task AConfiguredFallbackOutsideTheKeysModelsIsSkippedNotServed()
    {
        var host = await StartApiAsync(Groups(OnError));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "fb-key" }, new { models = new[] { "chat" } });
        Primary.Default = FakeResponse.Error(500);

        using var response = await ChatAsync(host, key);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(0, Backup.RequestCount);
        Assert.Equal("premium", Header(response, "x-gateway-skipped-fallbacks"));
    }

    [Fact]
    public async Task AFallbackOutsideTheTeamsModelsIsSkippedToo()
    {
        var host = await StartApiAsync(Groups(OnError));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "fb-team", models = new[] { "chat" } });
        Primary.Default = FakeResponse.Error(500);

        using var response = await ChatAsync(host, key);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(0, Backup.RequestCount);
    }

    [Fact]
    public async Task AKeyThatMayUseTheFallbackIsServedByIt()
    {
        var host = await StartApiAsync(Groups(OnError));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "fb-allowed" }, new { models = new[] { "chat", "premium" } });
        Primary.Default = FakeResponse.Error(500);

        using var response = await ChatAsync(host, key);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, Backup.RequestCount);
        Assert.Null(Header(response, "x-gateway-skipped-fallbacks"));
    }

    [Fact]
    public async Task ARequestsOwnFallbacksPassTheModelListLikeTheConfigs()
    {
        var host = await StartApiAsync(Groups(""));
        var (_, limited) = await TeamAndKeyAsync(host, new { team_alias = "fb-request" }, new { models = new[] { "chat" } });
        var (_, open) = await TeamAndKeyAsync(host, new { team_alias = "fb-request-open" });
        Primary.Default = FakeResponse.Error(500);

        using var refused = await ChatAsync(host, limited, "\"fallbacks\":[\"premium\"]");
        var backupAfterRefused = Backup.RequestCount;
        using var served = await ChatAsync(host, open, "\"fallbacks\":[\"premium\"]");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal(0, backupAfterRefused);
        Assert.Equal("premium", Header(refused, "x-gateway-skipped-fallbacks"));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(1, Backup.RequestCount);
    }

    [Fact]
    public async Task AContextWindowFallbackOutsideTheKeysModelsIsSkipped()
    {
        var host = await StartApiAsync(Groups("litellm_settings:\n  context_window_fallbacks: [{\"chat\": [\"premium\"]}]"));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "fb-context" }, new { models = new[] { "chat" } });
        var longPrompt = "\"" + string.Join(' ', Enumerable.Repeat("lorem ipsum dolor", 1000)) + "\"";

        using var response = await ChatAsync(host, key, content: longPrompt);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("context_length_exceeded", await response.Content.ReadAsStringAsync(Timeout));
        Assert.Equal(0, Primary.RequestCount + Backup.RequestCount);
    }

    [Fact]
    public async Task RequestFallbacksThatAreNotGroupNamesAreA400()
    {
        var host = await StartApiAsync(Groups(""));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "fb-invalid" });

        using var response = await ChatAsync(host, key, "\"fallbacks\":[{\"model\":\"premium\"}]");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"param\":\"fallbacks\"", await response.Content.ReadAsStringAsync(Timeout));
        Assert.Equal(0, Primary.RequestCount);
    }
}
