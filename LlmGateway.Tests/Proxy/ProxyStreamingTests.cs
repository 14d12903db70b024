using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Anthropic.Models.Messages;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;
using OpenAI.Chat;
using static LlmGateway.Tests.Proxy.ProxyFixture;

namespace LlmGateway.Tests.Proxy;

/// <summary>Streams pass through chunk by chunk; a stream that breaks ends with an error event and a clean end, never a hang.</summary>
public sealed partial class ProxyStreamingTests(TestServers servers, ProxyFixture fixture)
    : ProxyTestBase<ProxyFixture>(servers, fixture), IClassFixture<ProxyFixture>
{
    private const string SixWords = "one two three four five six";

    /// <summary>Which API the client calls, and which model group serves it.</summary>
    public static TheoryData<string, string> ClientsAndGroups => new()
    {
        { "/v1/chat/completions", OpenAiGroup },
        { "/v1/chat/completions", AnthropicGroup },
        { "/v1/messages", OpenAiGroup },
        { "/v1/messages", AnthropicGroup },
    };

    [Fact]
    public async Task OpenAiStreamReachesTheClientByteForByteExceptTheHiddenUsageChunk()
    {
        Fake.Default = new FakeResponse { Text = SixWords };

        using var response = await PostAsync("/v1/chat/completions", Chat(OpenAiGroup, stream: true));
        var received = await response.Content.ReadAsStringAsync(Timeout);
        var upstreamBytes = await ReplayUpstreamAsync(Fake.Requests[0]);

        var withoutUsage = string.Concat(SplitEvents(upstreamBytes).Where(e => !e.Contains("\"choices\":[]", StringComparison.Ordinal)));
        Assert.NotEqual(upstreamBytes, withoutUsage); // the upstream did send a usage chunk
        Assert.Equal(Normalize(withoutUsage), Normalize(received));
    }

    [Fact]
    public async Task OpenAiStreamReachesAClientThatAskedForUsageByteForByte()
    {
        Fake.Default = new FakeResponse { Text = SixWords };

        using var response = await PostAsync("/v1/chat/completions", Chat(OpenAiGroup, stream: true, includeUsage: true));
        var received = await response.Content.ReadAsStringAsync(Timeout);
        var upstreamBytes = await ReplayUpstreamAsync(Fake.Requests[0]);

        Assert.Equal(Normalize(upstreamBytes), Normalize(received));
        Assert.Contains("\"choices\":[]", received);
    }

    [Theory]
    [InlineData(OpenAiGroup)]
    [InlineData(AnthropicGroup)]
    public async Task AClientNotAskingForUsageGetsNoUsageChunkThoughTheUpstreamWasAskedForIt(string group)
    {
        using var response = await PostAsync("/v1/chat/completions", Chat(group, stream: true));
        var events = await ReadSseAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("[DONE]", events[^1].Data);
        Assert.DoesNotContain(events, e => e.Data.Contains("\"choices\":[]", StringComparison.Ordinal));
        Assert.DoesNotContain(events, e => e.Data.Contains("\"usage\":{", StringComparison.Ordinal));
        if (group == OpenAiGroup)
            Assert.True((bool?)Fake.Requests[0].Json!["stream_options"]?["include_usage"]);
    }

    [Theory]
    [InlineData(OpenAiGroup)]
    [InlineData(AnthropicGroup)]
    public async Task AClientAskingForUsageGetsOneUsageChunkWithTheScriptedNumbers(string group)
    {
        Fake.Default = new FakeResponse { PromptTokens = 21, CompletionTokens = 4 };

        using var response = await PostAsync("/v1/chat/completions", Chat(group, stream: true, includeUsage: true));
        var events = await ReadSseAsync(response);

        var usageChunk = JsonNode.Parse(Assert.Single(events, e => e.Data.Contains("\"choices\":[]", StringComparison.Ordinal)).Data)!;
        Assert.Equal((21, 4, 25), ((int)usageChunk["usage"]!["prompt_tokens"]!, (int)usageChunk["usage"]!["completion_tokens"]!, (int)usageChunk["usage"]!["total_tokens"]!));
        Assert.Equal("[DONE]", events[^1].Data);
    }

    [Theory]
    [InlineData("/v1/chat/completions", OpenAiGroup)]
    [InlineData("/v1/chat/completions", AnthropicGroup)]
    public async Task EveryOpenAiCompatibleUpstreamStreamIsAskedForUsage(string path, string group)
    {
        using var response = await PostAsync(path, Chat(group, stream: true));
        await response.Content.ReadAsStringAsync(Timeout);

        var upstream = Assert.Single(Fake.Requests);
        if (group == OpenAiGroup)
            Assert.True((bool?)upstream.Json!["stream_options"]?["include_usage"]);
        else
            Assert.Null(upstream.Json!["stream_options"]); // Anthropic's API has no stream_options: usage is always in its events
    }

    [Theory]
    [MemberData(nameof(ClientsAndGroups))]
    public async Task TheFirstChunkReachesTheClientWhileTheUpstreamIsStillStreaming(string path, string group)
    {
        Fake.Default = new FakeResponse { Text = SixWords, DelayBetweenChunks = TimeSpan.FromMilliseconds(250) };

        using var response = await PostAsync(path, StreamBody(path, group));
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Timeout));
        string? line;
        while ((line = await reader.ReadLineAsync(Timeout)) is not null && !line.Contains("\"one", StringComparison.Ordinal))
        {
        }

        Assert.NotNull(line);
        Assert.Equal(0, Fake.StreamsCompleted);
        await reader.ReadToEndAsync(Timeout);
        Assert.Equal(1, Fake.StreamsCompleted);
    }

    [Theory]
    [InlineData(OpenAiGroup)]
    [InlineData(AnthropicGroup)]
    public async Task AnOpenAiClientWhoseUpstreamDropsAfterThreeChunksGetsThemThenAnErrorEventThenDone(string group)
    {
        Fake.Default = new FakeResponse { Text = SixWords, DropConnectionAfterChunks = 3 };

        var stopwatch = Stopwatch.StartNew();
        using var response = await PostAsync("/v1/chat/completions", Chat(group, stream: true));
        var events = await ReadSseAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("one two three", OpenAiText(events));
        Assert.Equal("[DONE]", events[^1].Data);
        var error = JsonNode.Parse(events[^2].Data)!["error"]!;
        Assert.Equal("stream_interrupted", (string?)error["code"]);
        Assert.Single(events, e => e.Data.Contains("\"error\"", StringComparison.Ordinal));
        Assert.DoesNotContain(events, e => e.Data.Contains("\"finish_reason\":\"", StringComparison.Ordinal));
        Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData(OpenAiGroup)]
    [InlineData(AnthropicGroup)]
    public async Task AnAnthropicClientWhoseUpstreamDropsAfterThreeChunksGetsThemThenOneErrorEventAndNoSecondMessageStart(string group)
    {
        Fake.Default = new FakeResponse { Text = SixWords, DropConnectionAfterChunks = 3 };

        using var response = await PostAsync("/v1/messages", Messages(group, stream: true));
        var events = await ReadSseAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(events, e => e.Event == "message_start");
        Assert.Equal("one two three", AnthropicText(events));
        Assert.Equal("error", events[^1].Event);
        Assert.Equal("error", (string?)JsonNode.Parse(events[^1].Data)!["type"]);
        Assert.Single(events, e => e.Event == "error");
        Assert.DoesNotContain(events, e => e.Event == "message_stop");
    }

    [Theory]
    [MemberData(nameof(ClientsAndGroups))]
    public async Task AnInBandErrorEventReachesTheClientOnceThenTheStreamEndsCleanly(string path, string group)
    {
        Fake.Default = new FakeResponse { Text = SixWords, InBandErrorAfterChunks = 2, ErrorMessage = "upstream exploded mid-answer" };

        using var response = await PostAsync(path, StreamBody(path, group));
        var events = await ReadSseAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        if (path == "/v1/messages")
        {
            Assert.Equal("one two", AnthropicText(events));
            var error = Assert.Single(events, e => e.Event == "error");
            Assert.Equal(events[^1], error);
            Assert.Contains("upstream exploded mid-answer", error.Data);
            Assert.Single(events, e => e.Event == "message_start");
        }
        else
        {
            Assert.Equal("one two", OpenAiText(events));
            var error = Assert.Single(events, e => e.Data.Contains("\"error\"", StringComparison.Ordinal));
            Assert.Contains("upstream exploded mid-answer", error.Data);
            Assert.Equal(events[^2], error);
            Assert.Equal("[DONE]", events[^1].Data);
        }
    }

    [Theory]
    [MemberData(nameof(ClientsAndGroups))]
    public async Task AnEmptyUpstreamStreamIsAnErrorResponseNamingTheGroupNotAHang(string path, string group)
    {
        Fake.Default = new FakeResponse { EmptyStream = true };

        var stopwatch = Stopwatch.StartNew();
        using var response = await PostAsync(path, StreamBody(path, group));
        var body = await JsonAsync(response);

        Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        Assert.Contains((int)response.StatusCode, new[] { 502, 503 });
        var message = path == "/v1/messages"
            ? (string?)AssertAnthropicError(body, "overloaded_error")["message"]
            : (string?)AssertOpenAiError(body, code: "upstream_unavailable")["message"];
        Assert.Contains($"'{group}'", message);
        Assert.Contains("empty", message);
    }

    [Theory]
    [InlineData(OpenAiGroup)]
    [InlineData(AnthropicGroup)]
    public async Task EmojiAndCjkTextStreamedInLargeChunksArriveIntactThroughTheOpenAiSdk(string group)
    {
        var text = string.Concat(Enumerable.Repeat("你好，世界！👋🏽 Grüße 🎉 日本語のテキスト 👨‍👩‍👧‍👦 ", 200));
        Fake.Default = new FakeResponse { Text = text, ChunkCount = 3 };

        var received = new StringBuilder();
        await foreach (var update in OpenAiChat(group).CompleteChatStreamingAsync([new UserChatMessage("Say hello")], cancellationToken: Timeout))
        {
            foreach (var part in update.ContentUpdate)
                received.Append(part.Text);
        }

        Assert.Equal(text, received.ToString());
    }

    [Theory]
    [InlineData(OpenAiGroup)]
    [InlineData(AnthropicGroup)]
    public async Task EmojiAndCjkTextStreamedInLargeChunksArriveIntactThroughTheAnthropicSdk(string group)
    {
        var text = string.Concat(Enumerable.Repeat("你好，世界！👋🏽 Grüße 🎉 日本語のテキスト 👨‍👩‍👧‍👦 ", 200));
        Fake.Default = new FakeResponse { Text = text, ChunkCount = 3 };

        var received = new StringBuilder();
        await foreach (var streamEvent in AnthropicSdk().Messages.CreateStreaming(
            new MessageCreateParams { Model = group, MaxTokens = 100, Messages = [new UserMessageParam("Say hello")] }, Timeout))
        {
            if (streamEvent.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var textDelta))
                received.Append(textDelta.Text);
        }

        Assert.Equal(text, received.ToString());
    }

    [Theory]
    [MemberData(nameof(ClientsAndGroups))]
    public async Task AClientThatCancelsMidStreamLeavesTheUpstreamToFinishForItsUsageUnderTheDefaultDrainPolicy(string path, string group)
    {
        // Gateway:DisconnectPolicy=cancel aborts the upstream instead: LlmGateway.Tests/Telemetry/StreamingUsageTests.
        Fake.Default = new FakeResponse { Text = string.Join(' ', Enumerable.Range(1, 20).Select(i => $"w{i}")), DelayBetweenChunks = TimeSpan.FromMilliseconds(50) };
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Timeout);

        var response = await PostAsync(path, StreamBody(path, group));
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Timeout));
        string? line;
        while ((line = await reader.ReadLineAsync(Timeout)) is not null && !line.Contains("w2", StringComparison.Ordinal))
        {
        }
        Assert.NotNull(line);
        await cancel.CancelAsync();
        reader.Dispose();
        response.Dispose();

        await EventuallyAsync(() => Fake.StreamsCompleted == 1);
        Assert.Equal(0, Fake.StreamsAbortedByClient);
    }

    private static string StreamBody(string path, string group) => path == "/v1/messages" ? Messages(group, stream: true) : Chat(group, stream: true);

    private static string OpenAiText(List<(string? Event, string Data)> events) => string.Concat(events
        .Where(e => e.Data.StartsWith('{') && !e.Data.Contains("\"error\"", StringComparison.Ordinal))
        .Select(e => JsonNode.Parse(e.Data)!["choices"]!.AsArray())
        .Where(choices => choices.Count > 0)
        .Select(choices => (string?)choices[0]!["delta"]?["content"]));

    private static string AnthropicText(List<(string? Event, string Data)> events) => string.Concat(events
        .Where(e => e.Event == "content_block_delta")
        .Select(e => (string?)JsonNode.Parse(e.Data)!["delta"]?["text"]));

    /// <summary>What the fake sends for the body the gateway sent it: the same request, straight to the fake.</summary>
    private async Task<string> ReplayUpstreamAsync(RecordedRequest upstream)
    {
        using var direct = new HttpClient { BaseAddress = Fake.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        using var content = new StringContent(upstream.Body, Encoding.UTF8, "application/json");
        using var response = await direct.PostAsync(upstream.PathAndQuery.TrimStart('/'), content, Timeout);
        return await response.Content.ReadAsStringAsync(Timeout);
    }

    private static IEnumerable<string> SplitEvents(string sse) => sse.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e + "\n\n");

    /// <summary>The fake's only per-response values: its random completion id and the clock.</summary>
    private static string Normalize(string sse) => Created().Replace(CompletionId().Replace(sse, "chatcmpl-ID"), "\"created\":0");

    [GeneratedRegex("chatcmpl-fake[0-9a-f]{32}")]
    private static partial Regex CompletionId();

    [GeneratedRegex("\"created\":\\d+")]
    private static partial Regex Created();
}
