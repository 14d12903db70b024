using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace LlmGateway.Tests.Fakes;

/// <summary>A fresh fake per test, a raw HttpClient on it, and a 10 s budget for every wait.</summary>
public abstract class FakeProviderTestBase : IAsyncLifetime
{
    private readonly CancellationTokenSource timeout =
        CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

    protected FakeProviderServer Server { get; private set; } = null!;
    protected HttpClient Http { get; private set; } = null!;
    protected CancellationToken Timeout => timeout.Token;

    public async ValueTask InitializeAsync()
    {
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        Server = await FakeProviderServer.StartAsync(Timeout);
        // No drain: disposing an unfinished response must close the connection, as a client going away does.
        Http = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 })
        {
            BaseAddress = Server.BaseUri, Timeout = TimeSpan.FromSeconds(10),
        };
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        timeout.Dispose();
        GC.SuppressFinalize(this);
    }

    protected Task<HttpResponseMessage> PostAsync(string path, object body, CancellationToken? cancellationToken = null) =>
        Http.SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) },
            HttpCompletionOption.ResponseHeadersRead, cancellationToken ?? Timeout);

    protected static object Chat(bool stream = false, bool includeUsage = false, string model = "gpt-test") => includeUsage
        ? new { model, stream, stream_options = new { include_usage = true }, messages = new[] { new { role = "user", content = "Say hello" } } }
        : new { model, stream, messages = new[] { new { role = "user", content = "Say hello" } } };

    protected static object Messages(bool stream = false, string model = "claude-test") =>
        new { model, max_tokens = 100, stream, messages = new[] { new { role = "user", content = "Say hello" } } };

    protected static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();

    protected static async Task<JsonObject> JsonAsync(HttpResponseMessage response, CancellationToken cancellationToken) =>
        Parse(await response.Content.ReadAsStringAsync(cancellationToken));

    /// <summary>Polls a condition the server reaches asynchronously, failing after the test's budget.</summary>
    protected async Task EventuallyAsync(Func<bool> condition)
    {
        while (!condition())
            await Task.Delay(20, Timeout);
    }
}
