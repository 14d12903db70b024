using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace LlmGateway.Tests.Fakes;

public sealed class FakeProviderServerTests : FakeProviderTestBase
{
    [Fact]
    public async Task DefaultChatCompletionEchoesTheModelWithDeterministicUsage()
    {
        using var response = await PostAsync("/v1/chat/completions", Chat());
        var body = await JsonAsync(response, Timeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("chat.completion", (string?)body["object"]);
        Assert.Equal("gpt-test", (string?)body["model"]);
        Assert.Equal("Hello from fake-openai model gpt-test", (string?)body["choices"]![0]!["message"]!["content"]);
        Assert.Equal("stop", (string?)body["choices"]![0]!["finish_reason"]);
        // "Say hello" is 9 characters: ceil(9 / 4) = 3 prompt tokens; the answer has 5 words.
        Assert.Equal(3, (int?)body["usage"]!["prompt_tokens"]);
        Assert.Equal(5, (int?)body["usage"]!["completion_tokens"]);
        Assert.Equal(8, (int?)body["usage"]!["total_tokens"]);
    }

    [Fact]
    public async Task StreamingChatSendsRoleContentFinishAndDoneWithUsageOnlyWhenAsked()
    {
        using var withUsage = await PostAsync("/v1/chat/completions", Chat(stream: true, includeUsage: true));
        var events = await SseReader.ReadAllAsync(withUsage, Timeout);
        using var withoutUsage = await PostAsync("/v1/chat/completions", Chat(stream: true));
        var plain = await SseReader.ReadAllAsync(withoutUsage, Timeout);

        Assert.Equal("text/event-stream", withUsage.Content.Headers.ContentType?.MediaType);
        Assert.All(events, e => Assert.Null(e.Event));
        Assert.Equal("[DONE]", events[^1].Data);
        var chunks = events.SkipLast(1).Select(e => Parse(e.Data)).ToList();
        Assert.Equal("assistant", (string?)chunks[0]["choices"]![0]!["delta"]!["role"]);
        Assert.Equal("Hello from fake-openai model gpt-test",
            string.Concat(chunks.Skip(1).Select(c => (string?)c["choices"]!.AsArray().FirstOrDefault()?["delta"]?["content"])));
        Assert.Equal("stop", (string?)chunks[^2]["choices"]![0]!["finish_reason"]);
        Assert.Empty(chunks[^1]["choices"]!.AsArray());
        Assert.Equal(8, (int?)chunks[^1]["usage"]!["total_tokens"]);
        Assert.Single(chunks.Select(c => (string?)c["id"]).Distinct());
        Assert.Equal(events.Count - 1, plain.Count);
        Assert.DoesNotContain(plain.SkipLast(1), e => Parse(e.Data)["usage"] is not null);
    }

    [Fact]
    public async Task AnthropicStreamFollowsTheDocumentedEventSequence()
    {
        Server.Enqueue(new FakeResponse { Text = "Hi there", ToolCalls = [("toolu_1", "get_weather", """{"city":"Paris"}""")] });

        using var response = await PostAsync("/v1/messages", Messages(stream: true));
        var events = await SseReader.ReadAllAsync(response, Timeout);

        Assert.Equal(
            ["message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta", "content_block_stop",
             "content_block_start", "content_block_delta", "content_block_delta", "content_block_delta", "content_block_stop",
             "message_delta", "message_stop"],
            events.Select(e => e.Event));
        Assert.All(events, e => Assert.Equal(e.Event, (string?)Parse(e.Data)["type"]));
        Assert.Equal("claude-test", (string?)Parse(events[0].Data)["message"]!["model"]);
        var json = string.Concat(events.Select(e => Parse(e.Data)).Where(d => d["index"]?.GetValue<int>() == 1)
            .Select(d => (string?)d["delta"]?["partial_json"]));
        Assert.Equal("""{"city":"Paris"}""", json);
        var delta = Parse(events[^2].Data);
        Assert.Equal("tool_use", (string?)delta["delta"]!["stop_reason"]);
        Assert.Equal(2 + 4, (int?)delta["usage"]!["output_tokens"]);
    }

    [Fact]
    public async Task EmbeddingsAnswerFloatsOrBase64OfTheSameVector()
    {
        using var floats = await PostAsync("/v1/embeddings", new { model = "text-embedding-3-small", input = new[] { "a", "b" } });
        using var base64 = await PostAsync("/v1/embeddings", new { model = "text-embedding-3-small", input = "a", encoding_format = "base64" });
        var floatBody = await JsonAsync(floats, Timeout);
        var base64Body = await JsonAsync(base64, Timeout);

        Assert.Equal(2, floatBody["data"]!.AsArray().Count);
        var vector = floatBody["data"]![0]!["embedding"]!.AsArray().Select(v => (float)v!).ToArray();
        Assert.Equal(FakeOpenAiEmbeddings.Vector("a"), vector);
        var bytes = Convert.FromBase64String((string)base64Body["data"]![0]!["embedding"]!);
        Assert.Equal(vector, Enumerable.Range(0, bytes.Length / 4).Select(i => BitConverter.ToSingle(bytes, i * 4)));
        Assert.Equal(2, (int?)floatBody["usage"]!["prompt_tokens"]);
    }

    [Fact]
    public async Task ModelsListsTheConfiguredIds()
    {
        Server.Models = ["m1", "m2"];

        var body = Parse(await Http.GetStringAsync("/v1/models", Timeout));

        Assert.Equal(["m1", "m2"], body["data"]!.AsArray().Select(m => (string?)m!["id"]));
    }

    [Fact]
    public async Task RecordedRequestsKeepMethodPathQueryBodyAndHeadersCaseInsensitively()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21")
        {
            Content = new StringContent("""{"messages":[{"role":"user","content":"hi"}]}""", MediaTypeHeaderValue.Parse("application/json")),
        };
        request.Headers.Add("api-key", "azure-secret");
        using var response = await Http.SendAsync(request, Timeout);
        var body = await JsonAsync(response, Timeout);

        var recorded = Assert.Single(Server.Requests);
        Assert.Equal("POST", recorded.Method);
        Assert.Equal("/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21", recorded.PathAndQuery);
        Assert.Equal("azure-secret", recorded.Headers["API-KEY"]);
        Assert.Null(recorded.Header("Authorization"));
        Assert.Equal("hi", (string?)recorded.Json!["messages"]![0]!["content"]);
        Assert.Equal("gpt4o-prod", (string?)body["model"]);
        Assert.Equal(1, Server.RequestCount);
    }

    [Fact]
    public async Task QueuedScriptsAreConsumedInOrderThenTheDefaultApplies()
    {
        Server.Default = new FakeResponse { Text = "default answer" };
        Server.Enqueue(new FakeResponse { Text = "first" }, new FakeResponse { Text = "second" });

        var answers = new List<string?>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await PostAsync("/v1/chat/completions", Chat());
            answers.Add((string?)(await JsonAsync(response, Timeout))["choices"]![0]!["message"]!["content"]);
        }

        Assert.Equal(["first", "second", "default answer"], answers);
        Assert.Equal(0, Server.PendingScripts);
    }

    [Fact]
    public async Task UsageOverridesAndZeroUsageAreReportedVerbatim()
    {
        Server.Enqueue(
            new FakeResponse { PromptTokens = 1000, CompletionTokens = 500, CachedTokens = 200 },
            new FakeResponse { ZeroUsage = true, PromptTokens = 7 });

        using var exact = await PostAsync("/v1/messages", Messages());
        using var zero = await PostAsync("/v1/chat/completions", Chat());
        var usage = (await JsonAsync(exact, Timeout))["usage"]!;
        var zeroUsage = (await JsonAsync(zero, Timeout))["usage"]!;

        Assert.Equal((1000, 500, 200), ((int)usage["input_tokens"]!, (int)usage["output_tokens"]!, (int)usage["cache_read_input_tokens"]!));
        Assert.Equal((0, 0, 0), ((int)zeroUsage["prompt_tokens"]!, (int)zeroUsage["completion_tokens"]!, (int)zeroUsage["total_tokens"]!));
    }

    [Fact]
    public async Task UnknownPathsAnswer404AndConsumeNoScript()
    {
        Server.Enqueue(FakeResponse.Error(500));

        using var response = await PostAsync("/v2/nothing", new { });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(1, Server.PendingScripts);
        Assert.Equal("/v2/nothing", Assert.Single(Server.Requests).Path);
    }

    [Fact]
    public async Task ResetClearsQueueRecordsAndDefault()
    {
        Server.Default = FakeResponse.Error(500);
        Server.Enqueue(FakeResponse.Error(429));
        using (await PostAsync("/v1/chat/completions", Chat())) { }

        Server.Reset();
        using var response = await PostAsync("/v1/chat/completions", Chat());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, Server.RequestCount);
        Assert.Equal(0, Server.PendingScripts);
    }

    [Fact]
    public async Task InstancesRunSideBySideAndDisposalFreesThePort()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var other = await FakeProviderServer.StartAsync(Timeout);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"started in {clock.Elapsed}");
        var port = other.BaseUri.Port;
        Assert.NotEqual(Server.BaseUri.Port, port);
        Assert.Equal($"http://127.0.0.1:{port}/v1", other.OpenAiBase.ToString());

        await other.DisposeAsync();

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await Assert.ThrowsAsync<SocketException>(async () => await socket.ConnectAsync(IPAddress.Loopback, port, Timeout));
    }

    [Fact]
    public void TextSplitsOnTextElementsNeverInsideASurrogatePair()
    {
        const string text = "Hi 👋🏽 世界 🇫🇷!";

        var pieces = FakeText.Split(text, 7);

        Assert.Equal(7, pieces.Count);
        Assert.Equal(text, string.Concat(pieces));
        Assert.All(pieces, p => Assert.False(char.IsHighSurrogate(p[^1]) || char.IsLowSurrogate(p[0])));
        Assert.Equal([" 世界", " 🇫🇷!"], FakeText.Split(text, null).Skip(2));
    }
}
