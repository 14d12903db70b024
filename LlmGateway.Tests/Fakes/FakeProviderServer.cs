using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace LlmGateway.Tests.Fakes;

/// <summary>
/// A real Kestrel server on loopback speaking the OpenAI (chat completions and Responses), Azure OpenAI and Anthropic wire formats, with
/// scripted answers and faults (<see cref="Enqueue"/>) and every request recorded (<see cref="Requests"/>).
/// One instance per test class; instances run side by side on their own ports.
/// </summary>
public sealed class FakeProviderServer : IAsyncDisposable
{
    private readonly ConcurrentQueue<FakeResponse> scripts = new();
    private readonly List<RecordedRequest> requests = [];
    private readonly Lock gate = new();
    private readonly CancellationTokenSource stopping = new();
    private readonly WebApplication app;
    private readonly FakeOpenAiResponses responses = new();
    private int streamsAbortedByClient;
    private int requestsAbortedByClient;
    private int streamsCompleted;

    private FakeProviderServer()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        // Hanging requests must not hold disposal for the default 30 s.
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(2));
        app = builder.Build();
        app.Use(RecordAsync);
        MapRoutes(app);
    }

    /// <summary>http://127.0.0.1:PORT/</summary>
    public Uri BaseUri { get; private set; } = null!;

    /// <summary>http://127.0.0.1:PORT/v1 — the OpenAI SDK's <c>Endpoint</c>.</summary>
    public Uri OpenAiBase => new(BaseUri, "v1");

    /// <summary>http://127.0.0.1:PORT/ — the Anthropic SDK's <c>BaseUrl</c> (it appends /v1/messages); also Azure's resource endpoint.</summary>
    public Uri AnthropicBase => BaseUri;

    /// <summary>The script used when the queue is empty; <see cref="FakeResponse.Ok"/> unless a test sets it.</summary>
    public FakeResponse Default { get; set; } = FakeResponse.Ok;

    /// <summary>
    /// When set, the gateway's one-token ping (<see cref="RecordedRequest.IsPing"/>) is answered with this script without taking
    /// one from the queue: a provider busy writing a long answer still answers a ping at once. Null: pings are scripted as
    /// every other request.
    /// </summary>
    public FakeResponse? PingResponse { get; set; }

    /// <summary>The ids listed by <c>GET /v1/models</c>.</summary>
    public IReadOnlyList<string> Models { get; set; } = DefaultModels;

    /// <summary>A snapshot of every request received, in arrival order.</summary>
    public IReadOnlyList<RecordedRequest> Requests
    {
        get { lock (gate) return [.. requests]; }
    }

    public int RequestCount
    {
        get { lock (gate) return requests.Count; }
    }

    /// <summary>The ids of the Responses API responses this fake issued and remembers (<c>previous_response_id</c> works for them only).</summary>
    public IReadOnlyCollection<string> IssuedResponses => [.. responses.Issued];

    /// <summary>Scripts not yet consumed.</summary>
    public int PendingScripts => scripts.Count;

    /// <summary>Streams whose client went away after the headers were sent.</summary>
    public int StreamsAbortedByClient => Volatile.Read(ref streamsAbortedByClient);

    /// <summary>Requests of any kind (hangs and delays included) the client aborted before the answer was complete.</summary>
    public int RequestsAbortedByClient => Volatile.Read(ref requestsAbortedByClient);

    /// <summary>Streams written to the end (the final event flushed).</summary>
    public int StreamsCompleted => Volatile.Read(ref streamsCompleted);

    private static readonly IReadOnlyList<string> DefaultModels = ["gpt-4o-mini", "text-embedding-3-small", "claude-sonnet-4-20250514"];

    public static async Task<FakeProviderServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var server = new FakeProviderServer();
        await server.app.StartAsync(cancellationToken);
        var address = server.app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server.BaseUri = new Uri(address.TrimEnd('/') + "/");
        return server;
    }

    /// <summary>Queues scripts consumed one per request, first in first out.</summary>
    public void Enqueue(params FakeResponse[] responses)
    {
        foreach (var response in responses)
            scripts.Enqueue(response);
    }

    /// <summary>Clears the queue, the recorded requests, the counters, the default script and the model list.</summary>
    public void Reset()
    {
        scripts.Clear();
        lock (gate)
            requests.Clear();
        Default = FakeResponse.Ok;
        PingResponse = null;
        Models = DefaultModels;
        responses.Forget();
        Interlocked.Exchange(ref streamsAbortedByClient, 0);
        Interlocked.Exchange(ref requestsAbortedByClient, 0);
        Interlocked.Exchange(ref streamsCompleted, 0);
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        await app.StopAsync();
        await app.DisposeAsync();
        stopping.Dispose();
    }

    private void MapRoutes(WebApplication web)
    {
        foreach (var prefix in new[] { "/v1", "/openai/v1" })
        {
            web.MapPost($"{prefix}/chat/completions", context => AnswerAsync(context, FakeOpenAi.ErrorAsync, e => FakeOpenAi.ChatAsync(e, null)));
            web.MapPost($"{prefix}/embeddings", context => AnswerAsync(context, FakeOpenAi.ErrorAsync, e => FakeOpenAiEmbeddings.EmbeddingsAsync(e, null)));
            web.MapPost($"{prefix}/responses", context => AnswerAsync(context, FakeOpenAi.ErrorAsync, responses.CreateAsync));
            web.MapPost($"{prefix}/completions", context => AnswerAsync(context, FakeOpenAi.ErrorAsync, FakeOpenAiCompletions.CompletionsAsync));
            web.MapGet($"{prefix}/models", context => AnswerAsync(context, FakeOpenAi.ErrorAsync, e => FakeOpenAiEmbeddings.ModelsAsync(e, Models)));
        }
        web.MapPost("/openai/deployments/{deployment}/chat/completions", context =>
            AnswerAsync(context, FakeOpenAi.ErrorAsync, e => FakeOpenAi.ChatAsync(e, Deployment(context))));
        web.MapPost("/openai/deployments/{deployment}/embeddings", context =>
            AnswerAsync(context, FakeOpenAi.ErrorAsync, e => FakeOpenAiEmbeddings.EmbeddingsAsync(e, Deployment(context))));
        web.MapPost("/v1/messages", context => AnswerAsync(context, FakeAnthropic.ErrorAsync, FakeAnthropic.MessagesAsync));
        web.MapPost("/v1/messages/count_tokens", context => AnswerAsync(context, FakeAnthropic.ErrorAsync, FakeAnthropic.CountTokensAsync));
        // Unknown paths are recorded too but consume no script, so a wrong URL shows up as a 404 in the test.
        web.MapFallback(context => FakeOpenAi.ErrorAsync(new FakeExchange(
            context, FakeResponse.Error(404, $"Fake provider has no route {context.Request.Method} {context.Request.Path}."),
            Recorded(context), context.RequestAborted)));
    }

    private static string? Deployment(HttpContext context) => context.Request.RouteValues["deployment"] as string;

    private static RecordedRequest Recorded(HttpContext context) => (RecordedRequest)context.Items[typeof(RecordedRequest)]!;

    private async Task RecordAsync(HttpContext context, RequestDelegate next)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var recorded = new RecordedRequest(context.Request.Method, $"{context.Request.Path}{context.Request.QueryString}", headers, body, ParseObject(body));
        lock (gate)
            requests.Add(recorded);
        context.Items[typeof(RecordedRequest)] = recorded;
        await next(context);
    }

    private static JsonObject? ParseObject(string body)
    {
        try
        {
            return body.Length == 0 ? null : JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task AnswerAsync(HttpContext context, Func<FakeExchange, Task> error, Func<FakeExchange, Task> answer)
    {
        var script = PingResponse is { } ping && Recorded(context).IsPing ? ping : scripts.TryDequeue(out var next) ? next : Default;
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping.Token);
        var exchange = new FakeExchange(context, script, Recorded(context), cancellation.Token);
        try
        {
            if (script.ResetBeforeHeaders)
            {
                context.Abort();
                return;
            }
            if (script.DelayBeforeHeaders > TimeSpan.Zero)
                await Task.Delay(script.DelayBeforeHeaders, cancellation.Token);
            if (script.Hang)
                await Task.Delay(Timeout.InfiniteTimeSpan, cancellation.Token);
            if (script.RetryAfter is { } retryAfter)
                context.Response.Headers.RetryAfter = FakeExchange.RetryAfterSeconds(retryAfter);
            context.Response.Headers["x-request-id"] = context.Response.Headers["request-id"] = $"req_fake{Guid.NewGuid():N}";
            foreach (var (name, value) in script.Headers)
                context.Response.Headers[name] = value;
            await (script.Status == 200 ? answer(exchange) : error(exchange));
            if (exchange.StreamCompleted)
                Interlocked.Increment(ref streamsCompleted);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException && cancellation.IsCancellationRequested)
        {
            if (context.RequestAborted.IsCancellationRequested && !stopping.IsCancellationRequested)
            {
                Interlocked.Increment(ref requestsAbortedByClient);
                if (exchange.StreamStarted)
                    Interlocked.Increment(ref streamsAbortedByClient);
            }
            context.Abort();
        }
    }
}
