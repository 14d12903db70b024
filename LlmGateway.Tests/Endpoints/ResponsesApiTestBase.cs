using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json.Nodes;
using LlmGateway.Tests.Clients;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;
using OpenAI.Responses;

namespace LlmGateway.Tests.Endpoints;

/// <summary>
/// The Responses API tests over <see cref="CodingAgentFixture"/> (a priced Anthropic group and a priced OpenAI chat group):
/// each test gets a fresh team key, the fake reset, and a 30 s budget for every wait.
/// </summary>
public abstract class ResponsesApiTestBase(CodingAgentFixture fixture) : IAsyncLifetime
{
    private readonly CancellationTokenSource timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

    protected CodingAgentFixture Fixture => fixture;
    protected FakeProviderServer Fake => fixture.Fake;
    protected CancellationToken Timeout => timeout.Token;
    /// <summary>A key of a team of its own.</summary>
    protected string Key { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        Fake.Reset();
        Key = await fixture.NewKeyAsync(Timeout);
    }

    public ValueTask DisposeAsync()
    {
        timeout.Dispose();
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

#pragma warning disable OPENAI001 // the SDK marks its Responses client as evaluation-only
    protected ResponsesClient Sdk(string? key = null) => new(new ApiKeyCredential(key ?? Key), new ResponsesClientOptions
    {
        Endpoint = new Uri(fixture.Api.BaseAddress, "v1"),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        NetworkTimeout = TimeSpan.FromSeconds(30),
    });

    protected static CreateResponseOptions Options(string model, params ResponseItem[] input) => new(model, input);
#pragma warning restore OPENAI001

    protected HttpClient Http(string? key = null)
    {
        var client = fixture.Api.CreateLoopbackClient(key ?? Key);
        client.Timeout = TimeSpan.FromSeconds(30);
        return client;
    }

    protected async Task<(HttpResponseMessage Response, JsonObject Body)> PostAsync(string json, string? key = null)
    {
        using var client = Http(key);
        var response = await client.PostAsync("/v1/responses", new StringContent(json, Encoding.UTF8, "application/json"), Timeout);
        return (response, JsonNode.Parse(await response.Content.ReadAsStringAsync(Timeout))!.AsObject());
    }

    /// <summary>The last request the fake upstream received, as JSON.</summary>
    protected JsonObject Upstream() => Fake.Requests[^1].Json!;

    protected static string RequestIdOf(ClientResult result) =>
        result.GetRawResponse().Headers.TryGetValue("x-request-id", out var id) ? id! : throw new InvalidOperationException("no x-request-id");
}
