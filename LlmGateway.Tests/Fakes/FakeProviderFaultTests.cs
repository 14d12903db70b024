using System.Diagnostics;
using System.Net;

namespace LlmGateway.Tests.Fakes;

public sealed class FakeProviderFaultTests : FakeProviderTestBase
{
    [Fact]
    public async Task Scripted429CarriesRetryAfterInEachProvidersEnvelope()
    {
        Server.Enqueue(FakeResponse.Error(429, retryAfter: TimeSpan.FromSeconds(2.5)), FakeResponse.Error(429, "slow down"));

        using var openAi = await PostAsync("/v1/chat/completions", Chat());
        using var anthropic = await PostAsync("/v1/messages", Messages());
        var openAiError = (await JsonAsync(openAi, Timeout))["error"]!;
        var anthropicBody = await JsonAsync(anthropic, Timeout);

        Assert.Equal(HttpStatusCode.TooManyRequests, openAi.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(3), openAi.Headers.RetryAfter?.Delta);
        Assert.Equal("rate_limit_exceeded", (string?)openAiError["code"]);
        Assert.True(openAiError.AsObject().ContainsKey("param"));
        Assert.Equal(HttpStatusCode.TooManyRequests, anthropic.StatusCode);
        Assert.Null(anthropic.Headers.RetryAfter);
        Assert.Equal("error", (string?)anthropicBody["type"]);
        Assert.Equal("rate_limit_error", (string?)anthropicBody["error"]!["type"]);
        Assert.Equal("slow down", (string?)anthropicBody["error"]!["message"]);
    }

    [Fact]
    public async Task DropAfterChunksAbortsTheConnectionAfterExactlyThatManyDeltas()
    {
        Server.Enqueue(new FakeResponse { Text = "one two three four five", DropConnectionAfterChunks = 3 });

        using var response = await PostAsync("/v1/chat/completions", Chat(stream: true));
        var received = new List<SseMessage>();
        var failure = await Record.ExceptionAsync(async () =>
        {
            await foreach (var message in SseReader.ReadAsync(response, Timeout))
                received.Add(message);
        });

        Assert.IsAssignableFrom<IOException>(failure);
        Assert.Equal(1 + 3, received.Count);
        Assert.Equal("one two three", string.Concat(received.Skip(1).Select(m => (string?)Parse(m.Data)["choices"]![0]!["delta"]!["content"])));
    }

    [Fact]
    public async Task DropOnANonStreamedAnswerCutsTheBodyInHalf()
    {
        Server.Enqueue(new FakeResponse { DropConnectionAfterChunks = 0 });

        using var response = await PostAsync("/v1/messages", Messages());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => response.Content.ReadAsStringAsync(Timeout));
        Assert.IsAssignableFrom<IOException>(failure.InnerException);
    }

    [Fact]
    public async Task InBandErrorEndsTheStreamWithTheProvidersErrorEvent()
    {
        Server.Enqueue(new FakeResponse { InBandErrorAfterChunks = 2 }, new FakeResponse { InBandErrorAfterChunks = 1 });

        using var openAi = await PostAsync("/v1/chat/completions", Chat(stream: true));
        var openAiEvents = await SseReader.ReadAllAsync(openAi, Timeout);
        using var anthropic = await PostAsync("/v1/messages", Messages(stream: true));
        var anthropicEvents = await SseReader.ReadAllAsync(anthropic, Timeout);

        Assert.Equal(HttpStatusCode.OK, openAi.StatusCode);
        Assert.Equal(1 + 2 + 1, openAiEvents.Count);
        Assert.Equal("server_error", (string?)Parse(openAiEvents[^1].Data)["error"]!["type"]);
        Assert.Equal(["message_start", "content_block_start", "ping", "content_block_delta", "error"], anthropicEvents.Select(e => e.Event));
        Assert.Equal("overloaded_error", (string?)Parse(anthropicEvents[^1].Data)["error"]!["type"]);
        Assert.Equal(0, Server.StreamsCompleted);
    }

    [Fact]
    public async Task EmptyStreamAnswers200WithHeadersAndNoEvents()
    {
        Server.Enqueue(new FakeResponse { EmptyStream = true });

        using var response = await PostAsync("/v1/messages", Messages(stream: true));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(await response.Content.ReadAsStringAsync(Timeout));
    }

    [Fact]
    public async Task DelayBeforeHeadersHoldsTheFirstByte()
    {
        Server.Enqueue(new FakeResponse { DelayBeforeHeaders = TimeSpan.FromMilliseconds(400) });
        var clock = Stopwatch.StartNew();

        using var response = await PostAsync("/v1/chat/completions", Chat());

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(380), $"headers after {clock.Elapsed}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ChunksArriveOneAtATimeWithTheScriptedGap()
    {
        Server.Enqueue(new FakeResponse { Text = "abc", ChunkCount = 3, DelayBetweenChunks = TimeSpan.FromMilliseconds(250) });
        var clock = Stopwatch.StartNew();

        using var response = await PostAsync("/v1/chat/completions", Chat(stream: true));
        var arrivals = new List<TimeSpan>();
        await foreach (var message in SseReader.ReadAsync(response, Timeout))
        {
            if (message.Data != "[DONE]" && (string?)Parse(message.Data)["choices"]![0]!["delta"]!["content"] is { Length: > 0 })
                arrivals.Add(clock.Elapsed);
        }

        // Chunk i cannot leave the fake before i gaps after the request was sent. (The gap between two arrivals can shrink on
        // a loaded machine — a late read of the first chunk — so the bound is from the start, which only load can lengthen.)
        Assert.Equal(3, arrivals.Count);
        Assert.True(arrivals[1] >= TimeSpan.FromMilliseconds(240), $"second chunk after {arrivals[1]}");
        Assert.True(arrivals[2] >= TimeSpan.FromMilliseconds(490), $"third chunk after {arrivals[2]}");
    }

    [Fact]
    public async Task ClientDisconnectMidStreamIsNoticedAndCounted()
    {
        Server.Enqueue(new FakeResponse { ChunkCount = 20, DelayBetweenChunks = TimeSpan.FromMilliseconds(100) });

        using (var response = await PostAsync("/v1/messages", Messages(stream: true)))
        {
            var seen = 0;
            await foreach (var message in SseReader.ReadAsync(response, Timeout))
            {
                if (message.Event == "content_block_delta" && ++seen == 2)
                    break;
            }
        }

        await EventuallyAsync(() => Server.StreamsAbortedByClient == 1);
        Assert.Equal(0, Server.StreamsCompleted);
    }

    [Fact]
    public async Task ResetBeforeHeadersFailsTheRequestWithoutAResponse()
    {
        Server.Enqueue(new FakeResponse { ResetBeforeHeaders = true });

        await Assert.ThrowsAsync<HttpRequestException>(() => PostAsync("/v1/chat/completions", Chat()));
        Assert.Equal(1, Server.RequestCount);
    }

    [Fact]
    public async Task HangEndsOnlyWhenTheClientGivesUp()
    {
        Server.Enqueue(new FakeResponse { Hang = true });
        using var clientTimeout = CancellationTokenSource.CreateLinkedTokenSource(Timeout);
        clientTimeout.CancelAfter(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => PostAsync("/v1/chat/completions", Chat(), clientTimeout.Token));

        await EventuallyAsync(() => Server.RequestsAbortedByClient == 1);
        Assert.Equal(0, Server.StreamsAbortedByClient);
    }

    [Fact]
    public async Task DisposingTheServerEndsAHangingRequestQuickly()
    {
        var hanging = await FakeProviderServer.StartAsync(Timeout);
        hanging.Enqueue(new FakeResponse { Hang = true });
        using var client = new HttpClient { BaseAddress = hanging.BaseUri };
        var call = client.PostAsync("/v1/chat/completions", new StringContent("{}"), Timeout);
        await EventuallyAsync(() => hanging.RequestCount == 1);
        var clock = Stopwatch.StartNew();

        await hanging.DisposeAsync();

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"disposed in {clock.Elapsed}");
        await Assert.ThrowsAsync<HttpRequestException>(() => call);
    }
}
