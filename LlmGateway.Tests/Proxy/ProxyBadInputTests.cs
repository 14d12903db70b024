using System.Net;
using System.Text;
using LlmGateway.Tests.Infrastructure;
using static LlmGateway.Tests.Proxy.ProxyFixture;

namespace LlmGateway.Tests.Proxy;

/// <summary>
/// Every bad input gets the right 4xx in the envelope of the API called, a message naming the field, and never
/// reaches the provider (the fake records no request).
/// </summary>
public sealed class ProxyBadInputTests(TestServers servers, ProxyFixture fixture)
    : ProxyTestBase<ProxyFixture>(servers, fixture), IClassFixture<ProxyFixture>
{
    private const string Hi = """[{"role":"user","content":"hi"}]""";

    /// <summary>Chat bodies refused with 400, the field the error names (param), and a fragment of the message.</summary>
    public static TheoryData<string, string, string> BadChatBodies => new()
    {
        { "missing model", $$"""{"messages":{{Hi}}}""", "model" },
        { "empty model", $$"""{"model":"","messages":{{Hi}}}""", "model" },
        { "model as a number", $$"""{"model":42,"messages":{{Hi}}}""", "model" },
        { "missing messages", """{"model":"gpt-proxy"}""", "messages" },
        { "empty messages", """{"model":"gpt-proxy","messages":[]}""", "messages" },
        { "messages not an array", """{"model":"gpt-proxy","messages":{"role":"user","content":"hi"}}""", "messages" },
        { "a message not an object", """{"model":"gpt-proxy","messages":["hi"]}""", "messages[0]" },
        { "unknown role", """{"model":"gpt-proxy","messages":[{"role":"wizard","content":"hi"}]}""", "messages[0].role" },
        { "missing content", """{"model":"gpt-proxy","messages":[{"role":"user"}]}""", "messages[0].content" },
        { "content as a number", """{"model":"gpt-proxy","messages":[{"role":"user","content":7}]}""", "messages[0].content" },
        { "stream as a string", $$"""{"model":"gpt-proxy","stream":"yes","messages":{{Hi}}}""", "stream" },
        { "temperature as a string", $$"""{"model":"gpt-proxy","temperature":"hot","messages":{{Hi}}}""", "temperature" },
        { "temperature 3", $$"""{"model":"gpt-proxy","temperature":3,"messages":{{Hi}}}""", "temperature" },
        { "negative max_tokens", $$"""{"model":"gpt-proxy","max_tokens":-5,"messages":{{Hi}}}""", "max_tokens" },
        { "max_tokens a fraction", $$"""{"model":"gpt-proxy","max_tokens":1.5,"messages":{{Hi}}}""", "max_tokens" },
        { "n 0", $$"""{"model":"gpt-proxy","n":0,"messages":{{Hi}}}""", "n" },
        { "n 1000", $$"""{"model":"gpt-proxy","n":1000,"messages":{{Hi}}}""", "n" },
        { "top_p 2", $$"""{"model":"gpt-proxy","top_p":2,"messages":{{Hi}}}""", "top_p" },
        { "stream_options not an object", $$"""{"model":"gpt-proxy","stream":true,"stream_options":true,"messages":{{Hi}}}""", "stream_options" },
        { "include_usage as a string", $$"""{"model":"gpt-proxy","stream":true,"stream_options":{"include_usage":"yes"},"messages":{{Hi}}}""", "stream_options.include_usage" },
        { "api_base in the body", $$"""{"model":"gpt-proxy","api_base":"http://127.0.0.1:1/steal","messages":{{Hi}}}""", "api_base" },
        { "base_url in the body", $$"""{"model":"gpt-proxy","base_url":"http://127.0.0.1:1/steal","messages":{{Hi}}}""", "base_url" },
        { "api_key in the body", $$"""{"model":"gpt-proxy","api_key":"sk-other","messages":{{Hi}}}""", "api_key" },
    };

    [Theory]
    [MemberData(nameof(BadChatBodies))]
    public async Task ABadChatBodyIsA400NamingTheFieldAndNothingReachesTheUpstream(string @case, string body, string field)
    {
        using var response = await PostAsync("/v1/chat/completions", body);
        var error = AssertOpenAiError(await JsonAsync(response), param: field);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, @case);
        Assert.Equal("invalid_request_error", (string?)error["type"]);
        Assert.Contains($"'{field}'", (string?)error["message"]);
        Assert.Equal(0, Fake.RequestCount);
    }

    public static TheoryData<string, string, string> BadMessagesBodies => new()
    {
        { "missing max_tokens", $$"""{"model":"claude-proxy","messages":{{Hi}}}""", "max_tokens" },
        { "negative max_tokens", $$"""{"model":"claude-proxy","max_tokens":-1,"messages":{{Hi}}}""", "max_tokens" },
        { "missing model", $$"""{"max_tokens":10,"messages":{{Hi}}}""", "model" },
        { "missing messages", """{"model":"claude-proxy","max_tokens":10}""", "messages" },
        { "empty messages", """{"model":"claude-proxy","max_tokens":10,"messages":[]}""", "messages" },
        { "tool role in messages", """{"model":"claude-proxy","max_tokens":10,"messages":[{"role":"tool","content":"hi"}]}""", "messages[0].role" },
        { "temperature 3", $$"""{"model":"claude-proxy","max_tokens":10,"temperature":3,"messages":{{Hi}}}""", "temperature" },
        { "stream as a string", $$"""{"model":"claude-proxy","max_tokens":10,"stream":"yes","messages":{{Hi}}}""", "stream" },
        { "system as a number", $$"""{"model":"claude-proxy","max_tokens":10,"system":1,"messages":{{Hi}}}""", "system" },
        { "api_base in the body", $$"""{"model":"claude-proxy","max_tokens":10,"api_base":"http://127.0.0.1:1/","messages":{{Hi}}}""", "api_base" },
    };

    [Theory]
    [MemberData(nameof(BadMessagesBodies))]
    public async Task ABadMessagesBodyIsA400InTheAnthropicEnvelopeNamingTheFieldAndNothingReachesTheUpstream(string @case, string body, string field)
    {
        using var response = await PostAsync("/v1/messages", body);
        var error = AssertAnthropicError(await JsonAsync(response), "invalid_request_error");

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, @case);
        Assert.Contains($"'{field}'", (string?)error["message"]);
        Assert.Equal(0, Fake.RequestCount);
    }

    public static TheoryData<string, string> BadEmbeddingsBodies => new()
    {
        { """{"model":"embed-proxy","input":""}""", "input" },
        { """{"model":"embed-proxy","input":[]}""", "input" },
        { """{"model":"embed-proxy","input":[ ]}""", "input" },
        { """{"model":"embed-proxy"}""", "input" },
        { """{"model":"embed-proxy","input":5}""", "input" },
        { """{"model":"embed-proxy","input":"hi","encoding_format":"hex"}""", "encoding_format" },
        { """{"input":"hi"}""", "model" },
    };

    [Theory]
    [MemberData(nameof(BadEmbeddingsBodies))]
    public async Task ABadEmbeddingsBodyIsA400NamingTheFieldAndNothingReachesTheUpstream(string body, string field)
    {
        using var response = await PostAsync("/v1/embeddings", body);
        var error = AssertOpenAiError(await JsonAsync(response), param: field);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"'{field}'", (string?)error["message"]);
        Assert.Equal(0, Fake.RequestCount);
    }

    public static TheoryData<string, string> MalformedBodies => new()
    {
        { "truncated JSON", """{"model":"gpt-proxy","messages":[""" },
        { "NaN temperature", $$"""{"model":"gpt-proxy","temperature":NaN,"messages":{{Hi}}}""" },
        { "trailing garbage", $$"""{"model":"gpt-proxy","messages":{{Hi}}} trailing""" },
        { "single quotes", "{'model':'gpt-proxy'}" },
        { "an array, not an object", $"[{Hi}]" },
        { "empty body", "" },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task MalformedJsonIsA400InEitherEnvelopeAndNothingReachesTheUpstream(string @case, string body)
    {
        using var chat = await PostAsync("/v1/chat/completions", body);
        var chatError = AssertOpenAiError(await JsonAsync(chat));
        using var messages = await PostAsync("/v1/messages", body);
        var messagesError = AssertAnthropicError(await JsonAsync(messages), "invalid_request_error");

        Assert.True((chat.StatusCode, messages.StatusCode) == (HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), @case);
        Assert.Contains("JSON", (string?)chatError["message"]);
        Assert.Contains("JSON", (string?)messagesError["message"]);
        Assert.Equal(0, Fake.RequestCount);
    }

    [Fact]
    public async Task InvalidUtf8IsA400AndNothingReachesTheUpstream()
    {
        byte[] body = [.. """{"model":"gpt-proxy","messages":[{"role":"user","content":"bad """u8, 0xC3, 0x28, 0xFF, .. "\"}]}"u8];

        using var response = await PostAsync("/v1/chat/completions", body);
        var error = AssertOpenAiError(await JsonAsync(response));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("UTF-8", (string?)error["message"]);
        Assert.Equal(0, Fake.RequestCount);
    }

    [Fact]
    public async Task JsonNestedTenThousandDeepIsA400AndNothingReachesTheUpstream()
    {
        var deep = new string('[', 10_000) + new string(']', 10_000);
        var body = $$"""{"model":"gpt-proxy","messages":{{Hi}},"metadata":{{deep}}}""";

        using var response = await PostAsync("/v1/chat/completions", body);
        var error = AssertOpenAiError(await JsonAsync(response));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("depth", (string?)error["message"], StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, Fake.RequestCount);
    }

    [Theory]
    [InlineData("/v1/chat/completions")]
    [InlineData("/v1/embeddings")]
    public async Task AnUnknownModelIsA404ThatListsNoOtherModel(string path)
    {
        var body = path == "/v1/embeddings" ? """{"model":"gpt-9-secret","input":"hi"}""" : Chat("gpt-9-secret");

        using var response = await PostAsync(path, body);
        var raw = await response.Content.ReadAsStringAsync(Timeout);
        var error = AssertOpenAiError(System.Text.Json.Nodes.JsonNode.Parse(raw)!.AsObject(), param: "model", code: "model_not_found");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("'gpt-9-secret'", (string?)error["message"]);
        foreach (var group in new[] { OpenAiGroup, AnthropicGroup, EmbeddingsGroup, AzureClassicGroup, MockGroup, "gpt-test", "claude-test" })
            Assert.DoesNotContain(group, raw);
        Assert.Equal(0, Fake.RequestCount);
    }

    [Fact]
    public async Task AnUnknownModelOnTheMessagesApiIsA404InTheAnthropicEnvelope()
    {
        using var response = await PostAsync("/v1/messages", Messages("claude-9-secret"));
        var error = AssertAnthropicError(await JsonAsync(response), "not_found_error");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain(AnthropicGroup, (string?)error["message"]);
        Assert.Equal(0, Fake.RequestCount);
    }

    [Theory]
    [InlineData("/v1/chat/completions")]
    [InlineData("/v1/messages")]
    [InlineData("/v1/embeddings")]
    public async Task NoKeyIsA401AndNothingReachesTheUpstream(string path)
    {
        using var anonymous = CreateClient(bearer: null);
        using var response = await PostAsync(path, path == "/v1/messages" ? Messages(AnthropicGroup) : Chat(OpenAiGroup), client: anonymous);
        var body = await JsonAsync(response);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        if (path == "/v1/messages")
            AssertAnthropicError(body, "authentication_error");
        else
            AssertOpenAiError(body, code: "invalid_api_key");
        Assert.Equal(0, Fake.RequestCount);
    }

    [Theory]
    [InlineData("/v1/chat/completions", "authorization")]
    [InlineData("/v1/messages", "x-api-key")]
    [InlineData("/v1/chat/completions", "api-key")]
    public async Task AWrongKeyIsA401WhoseBodyDoesNotEchoTheKey(string path, string header)
    {
        const string wrongKey = "sk-wrong-key-that-must-never-be-echoed-123456";
        using var anonymous = CreateClient(bearer: null);
        using var response = await PostAsync(path, path == "/v1/messages" ? Messages(AnthropicGroup) : Chat(OpenAiGroup),
            request => request.Headers.TryAddWithoutValidation(header, header == "authorization" ? $"Bearer {wrongKey}" : wrongKey), anonymous);
        var raw = await response.Content.ReadAsStringAsync(Timeout);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain(wrongKey, raw);
        Assert.DoesNotContain("sk-wrong", raw);
        Assert.DoesNotContain(response.Headers, h => h.Value.Any(v => v.Contains("sk-wrong", StringComparison.Ordinal)));
        Assert.Equal(0, Fake.RequestCount);
    }

    [Fact]
    public async Task GetModelsWithoutAKeyIsA401()
    {
        using var anonymous = CreateClient(bearer: null);
        using var response = await anonymous.GetAsync("/v1/models", Timeout);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        AssertOpenAiError(await JsonAsync(response), code: "invalid_api_key");
    }

    [Fact]
    public async Task AnApiBaseInTheBodyIsNeverUsed()
    {
        using var response = await PostAsync("/v1/chat/completions",
            $$"""{"model":"gpt-proxy","api_base":"{{Fake.BaseUri}}evil/","messages":{{Hi}}}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.DoesNotContain(Fake.Requests, r => r.Path.Contains("evil", StringComparison.Ordinal));
        Assert.Equal(0, Fake.RequestCount);
    }
}

/// <summary>Bodies over <c>Gateway:MaxRequestBodyBytes</c> (1 KiB here) are refused with 413, declared or chunked.</summary>
public sealed class ProxyBodyLimitTests(TestServers servers, SmallBodyLimitFixture fixture)
    : ProxyTestBase<SmallBodyLimitFixture>(servers, fixture), IClassFixture<SmallBodyLimitFixture>
{
    [Theory]
    [InlineData("/v1/chat/completions")]
    [InlineData("/v1/embeddings")]
    public async Task ABodyOverTheLimitWithAContentLengthIsA413AndNothingReachesTheUpstream(string path)
    {
        using var response = await PostAsync(path, Chat(OpenAiGroup, content: new string('x', 2 * SmallBodyLimitFixture.Limit)));
        var error = AssertOpenAiError(await JsonAsync(response), code: "request_too_large");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("1024 bytes", (string?)error["message"]);
        Assert.Equal(0, Fake.RequestCount);
    }

    [Fact]
    public async Task AChunkedBodyOverTheLimitIsA413AndNothingReachesTheUpstream()
    {
        var bytes = Encoding.UTF8.GetBytes(Chat(OpenAiGroup, content: new string('x', 8 * SmallBodyLimitFixture.Limit)));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StreamContent(new UnknownLengthStream(bytes)) };
        request.Content.Headers.ContentType = new("application/json");

        using var response = await Http.SendAsync(request, Timeout);
        var error = AssertOpenAiError(await JsonAsync(response), code: "request_too_large");

        Assert.Null(request.Content.Headers.ContentLength);
        Assert.True(request.Headers.TransferEncodingChunked ?? true);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.NotNull(error);
        Assert.Equal(0, Fake.RequestCount);
    }

    [Fact]
    public async Task ABodyOverTheLimitOnTheMessagesApiIsA413InTheAnthropicEnvelope()
    {
        var body = $$"""{"model":"claude-proxy","max_tokens":10,"messages":[{"role":"user","content":"{{new string('x', 2048)}}"}]}""";

        using var response = await PostAsync("/v1/messages", body);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        AssertAnthropicError(await JsonAsync(response), "request_too_large");
        Assert.Equal(0, Fake.RequestCount);
    }

    [Fact]
    public async Task ABodyJustUnderTheLimitIsServed()
    {
        var body = Chat(OpenAiGroup);
        body = Chat(OpenAiGroup, content: new string('x', SmallBodyLimitFixture.Limit - Encoding.UTF8.GetByteCount(body) + "Say hello".Length));

        using var response = await PostAsync("/v1/chat/completions", body);

        Assert.Equal(SmallBodyLimitFixture.Limit, Encoding.UTF8.GetByteCount(body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, Fake.RequestCount);
    }

    /// <summary>A stream that cannot tell its length, so HttpClient sends it chunked.</summary>
    private sealed class UnknownLengthStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
