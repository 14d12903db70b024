using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Anthropic;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;
using OpenAI;
using OpenAI.Chat;

namespace LlmGateway.Tests.Proxy;

/// <summary>
/// A test class over one <typeparamref name="TFixture"/>: the fake is reset before every test, and every wait is
/// bounded by <see cref="Timeout"/> (the test's own token, cancelled after 30 s).
/// </summary>
public abstract class ProxyTestBase<TFixture>(TestServers servers, TFixture fixture) : IAsyncLifetime
    where TFixture : ProxyFixture
{
    private readonly CancellationTokenSource timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

    protected FakeProviderServer Fake => fixture.Fake;
    protected GatewayApiHost Api => fixture.Api;
    /// <summary>A raw client on the gateway's loopback address, authenticated with the master key; it never drains an unread response.</summary>
    protected HttpClient Http { get; private set; } = null!;
    protected CancellationToken Timeout => timeout.Token;

    public virtual async ValueTask InitializeAsync()
    {
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await fixture.StartAsync(servers);
        Fake.Reset();
        Http = CreateClient(GatewayApiHost.MasterKey);
    }

    public virtual ValueTask DisposeAsync()
    {
        Http.Dispose();
        timeout.Dispose();
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    protected HttpClient CreateClient(string? bearer)
    {
        var client = new HttpClient(new SocketsHttpHandler
        {
            MaxResponseDrainSize = 0,
            UseCookies = false,
            // The Api's tracer listens in this process too; a test client must send only the trace headers a test sets, like an outside client.
            ActivityHeadersPropagator = System.Diagnostics.DistributedContextPropagator.CreateNoOutputPropagator(),
        })
        {
            BaseAddress = Api.BaseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };
        if (bearer is not null)
            client.DefaultRequestHeaders.Authorization = new("Bearer", bearer);
        return client;
    }

    protected ChatClient OpenAiChat(string model) => new(model, new ApiKeyCredential(GatewayApiHost.MasterKey), OpenAiOptions());

    protected OpenAIClientOptions OpenAiOptions() => new()
    {
        Endpoint = new Uri(Api.BaseAddress, "v1"),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        NetworkTimeout = TimeSpan.FromSeconds(30),
    };

    protected AnthropicClient AnthropicSdk() => new()
    {
        ApiKey = GatewayApiHost.MasterKey,
        BaseUrl = Api.BaseAddress.ToString(),
        ResponseValidation = true,
        MaxRetries = 0,
    };

    /// <summary>POSTs a raw body (UTF-8 text) and returns as soon as the headers arrive.</summary>
    protected Task<HttpResponseMessage> PostAsync(string path, string json, Action<HttpRequestMessage>? configure = null, HttpClient? client = null) =>
        PostAsync(path, Encoding.UTF8.GetBytes(json), configure, client);

    protected Task<HttpResponseMessage> PostAsync(string path, byte[] body, Action<HttpRequestMessage>? configure = null, HttpClient? client = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        configure?.Invoke(request);
        return (client ?? Http).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Timeout);
    }

    protected static string Chat(string model, bool stream = false, bool includeUsage = false, string content = "Say hello") =>
        new JsonObject
        {
            ["model"] = model,
            ["stream"] = stream,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = content }),
            ["stream_options"] = includeUsage ? new JsonObject { ["include_usage"] = true } : null,
        }.ToJsonString();

    protected static string Messages(string model, bool stream = false) =>
        new JsonObject
        {
            ["model"] = model,
            ["max_tokens"] = 100,
            ["stream"] = stream,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Say hello" }),
        }.ToJsonString();

    protected async Task<JsonObject> JsonAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync(Timeout))!.AsObject();

    /// <summary>Reads a whole SSE response into events (name or null, data), in order.</summary>
    protected async Task<List<(string? Event, string Data)>> ReadSseAsync(HttpResponseMessage response) =>
        ParseSse(await response.Content.ReadAsStringAsync(Timeout));

    protected static List<(string? Event, string Data)> ParseSse(string text) => Translation.SseText.Parse(Encoding.UTF8.GetBytes(text));

    /// <summary>Asserts OpenAI's envelope with exactly message, type, param and code; returns the inner error.</summary>
    protected static JsonObject AssertOpenAiError(JsonObject body, string? param = null, string? code = null)
    {
        var error = Assert.IsType<JsonObject>(Assert.Single(body).Value);
        Assert.Equal(["message", "type", "param", "code"], error.Select(p => p.Key));
        Assert.False(string.IsNullOrWhiteSpace((string?)error["message"]));
        Assert.False(string.IsNullOrWhiteSpace((string?)error["type"]));
        if (param is not null)
            Assert.Equal(param, (string?)error["param"]);
        if (code is not null)
            Assert.Equal(code, (string?)error["code"]);
        return error;
    }

    /// <summary>Asserts Anthropic's envelope <c>{"type":"error","error":{"type","message"}}</c>; returns the inner error.</summary>
    protected static JsonObject AssertAnthropicError(JsonObject body, string type)
    {
        Assert.Equal("error", (string?)body["type"]);
        var error = Assert.IsType<JsonObject>(body["error"]);
        Assert.Equal(type, (string?)error["type"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)error["message"]));
        return error;
    }

    protected static void AssertStatus(HttpStatusCode expected, HttpResponseMessage response) => Assert.Equal(expected, response.StatusCode);

    /// <summary>Polls a condition reached asynchronously, failing when the test's budget runs out.</summary>
    protected async Task EventuallyAsync(Func<bool> condition)
    {
        while (!condition())
            await Task.Delay(20, Timeout);
    }
}
