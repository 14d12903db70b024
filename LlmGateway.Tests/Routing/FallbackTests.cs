using System.Net;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Routing;

public sealed class FallbackTests(TestServers servers) : RoutingTestBase(servers)
{
    [Fact]
    public async Task FallbacksMoveToAnotherGroupAfterEveryDeploymentOfTheGroupFailed()
    {
        var yaml = "model_list:\n" + Deployment("chat", PrimaryId, Primary) + Deployment("spare", BackupId, Backup)
            + Settings("litellm_settings:\n  fallbacks: [{\"chat\": [\"spare\"]}]");
        using var client = Client(await StartApiAsync(yaml));
        Primary.Default = FakeResponse.Error(500);

        using var response = await ChatAsync(client);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(BackupId, Header(response, "x-gateway-deployment"));
        Assert.Equal("2", Header(response, "x-gateway-attempts"));
    }

    [Fact]
    public async Task FallbackGroupsAreNamedWhenTheyFailToo()
    {
        var yaml = "model_list:\n" + Deployment("chat", PrimaryId, Primary) + Deployment("spare", BackupId, Backup)
            + Settings("litellm_settings:\n  fallbacks: [{\"chat\": [\"spare\"]}]");
        using var client = Client(await StartApiAsync(yaml));
        Primary.Default = FakeResponse.Error(500);
        Backup.Default = FakeResponse.Error(502);

        using var response = await ChatAsync(client);
        var message = (string?)(await JsonAsync(response))["error"]!["message"];

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.StartsWith("Every deployment of model group 'chat' and its fallbacks 'spare' failed (2 attempts)", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ContextWindowFallbackTakesAPromptTooLongForTheGroup()
    {
        var yaml = "model_list:\n" + Deployment("small", PrimaryId, Primary, info: "max_input_tokens: 50") + Deployment("large", BackupId, Backup)
            + Settings("litellm_settings:\n  context_window_fallbacks: [{\"small\": [\"large\"]}]");
        using var client = Client(await StartApiAsync(yaml));

        using var response = await ChatAsync(client, model: "small", content: string.Join(' ', Enumerable.Repeat("lorem ipsum dolor", 100)));
        using var shortPrompt = await ChatAsync(client, model: "small");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(BackupId, Header(response, "x-gateway-deployment"));
        Assert.Equal(PrimaryId, Header(shortPrompt, "x-gateway-deployment"));
        Assert.Equal(1, Primary.RequestCount);
    }

    [Fact]
    public async Task ContextLengthErrorFromTheProviderMovesToTheContextWindowFallback()
    {
        var yaml = "model_list:\n" + Deployment("small", PrimaryId, Primary) + Deployment("large", BackupId, Backup)
            + Settings("litellm_settings:\n  context_window_fallbacks: [{\"small\": [\"large\"]}]");
        using var client = Client(await StartApiAsync(yaml));
        Primary.Default = FakeResponse.Error(400, "This model's maximum context length is 8192 tokens.");

        using var response = await ChatAsync(client, model: "small");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(BackupId, Header(response, "x-gateway-deployment"));
    }

    [Fact]
    public async Task PromptTooLongWithoutAFallbackIsA400NamingTheContextWindow()
    {
        var yaml = "model_list:\n" + Deployment("small", PrimaryId, Primary, info: "max_input_tokens: 50") + Settings("");
        using var client = Client(await StartApiAsync(yaml));

        using var response = await ChatAsync(client, model: "small", content: string.Join(' ', Enumerable.Repeat("lorem ipsum dolor", 100)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("context_length_exceeded", (string?)(await JsonAsync(response))["error"]!["code"]);
        Assert.Equal(0, Primary.RequestCount);
    }

    [Fact]
    public async Task NumRetriesZeroTriesOnlyOneDeployment()
    {
        using var client = Client(await StartApiAsync(TwoDeployments("litellm_settings:\n  num_retries: 0")));
        Primary.Default = FakeResponse.Error(500);

        using var response = await ChatAsync(client);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(0, Backup.RequestCount);
    }

    [Fact]
    public async Task NumRetriesBeyondTheDeploymentsRetriesAfterABackoff()
    {
        var yaml = "model_list:\n" + Deployment("chat", PrimaryId, Primary) + Settings("litellm_settings:\n  num_retries: 2\n  allowed_fails: 5");
        using var client = Client(await StartApiAsync(yaml));
        Primary.Enqueue(FakeResponse.Error(500), FakeResponse.Error(502));

        using var response = await ChatAsync(client);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("3", Header(response, "x-gateway-attempts"));
        Assert.Equal(3, Primary.RequestCount);
    }
}
