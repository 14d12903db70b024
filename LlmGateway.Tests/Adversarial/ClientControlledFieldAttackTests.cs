using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LlmGateway.Tests.Infrastructure;
using LlmGateway.Tests.Limits;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// Attack: everything the client chooses on one request — headers, body fields and their encodings — on every client API.
/// Bad input is a 4xx in the client's own envelope with no upstream call and no charge, never a 500; and nothing the client
/// writes may change what the gateway checks and reserves without changing what the upstream bills, or the reverse.
/// </summary>
/// <remarks>
/// <see cref="GovernanceFixture"/>: <c>gpt-test</c> on a fake OpenAI upstream, $0.0001 an output token, input free,
/// <c>max_output_tokens: 100</c> (a reservation of $0.01), no <c>allowed_premium</c>; every answer is 10 + 100 tokens.
/// </remarks>
public sealed class ClientControlledFieldAttackTests(GovernanceFixture fixture) : IClassFixture<GovernanceFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // ---------------------------------------------------------------------------------------------------------------
    // JSON escapes: the gateway compares some values as raw bytes; the upstream decodes them.
    // ---------------------------------------------------------------------------------------------------------------

    public static TheoryData<string, string, string> EscapedPremiumRequests => new()
    {
        // "\u0070riority" is "priority" to every JSON decoder, OpenAI's included.
        { "/v1/chat/completions", """{"model":"gpt-test","service_tier":"\u0070riority","max_tokens":10,"messages":[{"role":"user","content":"MARK"}]}""", "service_tier" },
        { "/v1/chat/completions", """{"model":"gpt-test","service_tier":"\u0066lex","max_tokens":10,"messages":[{"role":"user","content":"MARK"}]}""", "service_tier" },
        { "/v1/responses", """{"model":"gpt-test","service_tier":"\u0070riority","input":"MARK"}""", "service_tier" },
        // "\u0077eb_search_preview" is OpenAI's hosted web search, billed per call.
        { "/v1/responses", """{"model":"gpt-test","input":"MARK","tools":[{"type":"\u0077eb_search_preview"}]}""", "tools[0].type" },
        { "/v1/responses", """{"model":"gpt-test","input":"MARK","tools":[{"type":"web\u005fsearch"}]}""", "tools[0].type" },
        { "/v1/responses", """{"model":"gpt-test","input":"MARK","tools":[{"type":"\u0063ode_interpreter","container":{"type":"auto"}}]}""", "tools[0].type" },
    };

    /// <summary>
    /// <c>service_tier: "priority"</c> and hosted tools are refused on a deployment without <c>allowed_premium</c>
    /// (PremiumTierTests). The same value written with a <c>\u</c> escape must be refused too: the upstream decodes it
    /// and bills the premium tier or the tool calls, which the gateway neither allowed nor reserved nor priced. It was not
    /// refused; now <c>service_tier</c> is compared decoded and a tools array with an escape is decoded.
    /// </summary>
    [Theory]
    [MemberData(nameof(EscapedPremiumRequests))]
    public async Task APremiumFeatureWrittenWithAJsonEscapeIsRefusedLikeThePlainOne(string path, string body, string param)
    {
        var (teamId, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = $"escaped-premium-{Guid.NewGuid():N}", max_budget = 5 });
        var marker = Guid.NewGuid().ToString("N");

        var (status, text) = await SendAsync(fixture.Replica, path, key, Json(body.Replace("MARK", marker)));

        var upstreamCalls = fixture.Upstream.Requests.Count(r => r.Body.Contains(marker));
        Assert.True(status == HttpStatusCode.BadRequest && upstreamCalls == 0,
            $"{path} with an escaped premium value ({param}): expected 400 premium_feature_not_allowed and no upstream call; " +
            $"got {(int)status} and {upstreamCalls} upstream call(s) that received the escaped value. Body: {Shorten(text)}");
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
        Assert.Equal("premium_feature_not_allowed", error.GetProperty("code").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal(0m, await TeamSpendAsync(teamId));
    }

    /// <summary>An escaped key name is decoded before the check (the control case: this one holds).</summary>
    [Fact]
    public async Task AnEscapedKeyNameIsDecodedBeforeThePremiumCheck()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = $"escaped-name-{Guid.NewGuid():N}" });
        var marker = Guid.NewGuid().ToString("N");
        var (status, text) = await SendAsync(fixture.Api, "/v1/chat/completions", key,
            Json($$"""{"model":"gpt-test","\u0073ervice_tier":"priority","max_tokens":10,"messages":[{"role":"user","content":"{{marker}}"}]}"""));

        Assert.True(status == HttpStatusCode.BadRequest, $"expected 400, got {(int)status}: {Shorten(text)}");
        Assert.DoesNotContain(fixture.Upstream.Requests, r => r.Body.Contains(marker));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Fields that change what the upstream bills as output.
    // ---------------------------------------------------------------------------------------------------------------

    /// <summary>
    /// OpenAI's Predicted Outputs: <c>prediction.content</c> tokens that the model rejects are billed at the completion rate
    /// (usage.completion_tokens_details.rejected_prediction_tokens). Today the prediction is reserved only as prompt text
    /// at the input rate ($0 here), so a request with a 5,000-token prediction and a $0.05 budget is admitted on a $0.01
    /// reservation while it may be billed ~$0.50. It must be reserved at the output rate (a 429 here) or refused (400): it
    /// was admitted; now the prediction's tokens join each choice's output ceiling.
    /// </summary>
    [Fact]
    public async Task APredictionIsReservedAtTheOutputRateOrRefused()
    {
        var (teamId, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = $"prediction-{Guid.NewGuid():N}", max_budget = 0.05 });
        var marker = Guid.NewGuid().ToString("N");
        var prediction = string.Join(' ', Enumerable.Range(0, 2500).Select(i => $"w{i * 7919 % 100003}"));
        var body = $$$"""
            {"model":"gpt-test","max_tokens":100,"messages":[{"role":"user","content":"{{{marker}}}"}],
             "prediction":{"type":"content","content":"{{{prediction}}}"}}
            """;

        var (status, text) = await SendAsync(fixture.Api, "/v1/chat/completions", key, Json(body));

        var upstreamCalls = fixture.Upstream.Requests.Count(r => r.Body.Contains(marker));
        Assert.True(status is HttpStatusCode.TooManyRequests or HttpStatusCode.BadRequest && upstreamCalls == 0,
            "a 5,000-token prediction (billed at the output rate when rejected, ~$0.50) under a $0.05 budget: expected 429 budget_exceeded " +
            $"or 400 naming 'prediction' with no upstream call; got {(int)status} and {upstreamCalls} upstream call(s). Body: {Shorten(text)}");
        _ = teamId;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Numbers, types and encodings: a 4xx in the client's envelope, never a 500, never the upstream.
    // ---------------------------------------------------------------------------------------------------------------

    public static TheoryData<string, string> MalformedFields => new()
    {
        { "/v1/chat/completions", """{"model":"gpt-test","max_tokens":1e400,"messages":[{"role":"user","content":"MARK"}]}""" },
        { "/v1/chat/completions", """{"model":"gpt-test","max_tokens":100.5,"messages":[{"role":"user","content":"MARK"}]}""" },
        { "/v1/chat/completions", """{"model":"gpt-test","max_tokens":"100","messages":[{"role":"user","content":"MARK"}]}""" },
        { "/v1/chat/completions", """{"model":"gpt-test","max_tokens":-1,"messages":[{"role":"user","content":"MARK"}]}""" },
        { "/v1/chat/completions", """{"model":"gpt-test","max_tokens":0,"messages":[{"role":"user","content":"MARK"}]}""" },
        { "/v1/chat/completions", """{"model":"gpt-test","max_tokens":100000000000000000000,"messages":[{"role":"user","content":"MARK"}]}""" },
        { "/v1/chat/completions", """{"model":"gpt-test","max_completion_tokens":1e20,"max_tokens":10,"messages":[{"role":"user","content":"MARK"}]}""" },
        { "/v1/chat/completions", """{"model":"gpt-test","temperature":1e400,"messages":[{"role":"user","content":"MARK"}]}""" },
        { "/v1/chat/completions", """{"model":"gpt-test","n":1e400,"messages":[{"role":"user","content":"MARK"}]}""" },
        { "/v1/chat/completions", """{"model":"gpt-test","n":2.5,"messages":[{"role":"user","content":"MARK"}]}""" },
        { "/v1/chat/completions", """{"model":"gpt-test","stream":"true","messages":[{"role":"user","content":"MARK"}]}""" },
        { "/v1/chat/completions", """{"model":["gpt-test"],"messages":[{"role":"user","content":"MARK"}]}""" },
        { "/v1/chat/completions", """{"model":"gpt-test","messages":[{"role":"user","content":"MARK"}],"stream_options":{"include_usage":"yes"}}""" },
        { "/v1/chat/completions", """{"model":"gpt-test","messages":[{"role":"user","content":"MARK"}],"user":{"id":"x"}}""" },
        { "/v1/chat/completions", """{"model":"gpt-test","messages":[{"role":"user","content":"MARK"}],"tags":"a,b"}""" },
        { "/v1/chat/completions", """{"model":"gpt-test","messages":[{"role":"user","content":"MARK"}],"metadata":{"tags":[1,2]}}""" },
        { "/v1/chat/completions", """{"model":"gpt-test","messages":[{"role":"user","content":"MARK"}],"fallbacks":"other-model"}""" },
        { "/v1/chat/completions", """["gpt-test","MARK"]""" },
        { "/v1/chat/completions", """{"model":"gpt-test","messages":[{"role":"user","content":"MARK"}]} {"model":"other-model"}""" },
        { "/v1/responses", """{"model":"gpt-test","input":"MARK","max_output_tokens":1e400}""" },
        { "/v1/responses", """{"model":"gpt-test","input":"MARK","max_output_tokens":2.5e1}""" },
        { "/v1/responses", """{"model":"gpt-test","input":"MARK","max_output_tokens":0}""" },
        { "/v1/responses", """{"model":"gpt-test","input":"MARK","background":true}""" },
        { "/v1/responses", """{"model":"gpt-test","input":"MARK","background":"true"}""" },
        { "/v1/responses", """{"model":"gpt-test","input":42}""" },
        { "/v1/responses", """{"model":"gpt-test","input":[{"role":"user","content":"MARK"}],"previous_response_id":42}""" },
        { "/v1/messages", """{"model":"gpt-test","max_tokens":1e400,"messages":[{"role":"user","content":"MARK"}]}""" },
        { "/v1/messages", """{"model":"gpt-test","max_tokens":10.5,"messages":[{"role":"user","content":"MARK"}]}""" },
        { "/v1/messages", """{"model":"gpt-test","messages":[{"role":"user","content":"MARK"}]}""" },
        { "/v1/embeddings", """{"model":"gpt-test","input":"MARK","dimensions":1e400}""" },
        { "/v1/embeddings", """{"model":"gpt-test","input":{"text":"MARK"}}""" },
        { "/v1/embeddings", """{"model":"gpt-test","input":"MARK \udc00"}""" },
        { "/v1/completions", """{"model":"gpt-test","prompt":"MARK","max_tokens":1e400}""" },
        { "/v1/completions", """{"model":"gpt-test","prompt":"MARK","n":1e400}""" },
        { "/v1/completions", """{"model":"gpt-test","prompt":"MARK","best_of":"3"}""" },
    };

    /// <summary>Every malformed field is a 4xx in the route's own envelope, with no upstream call and no charge.</summary>
    [Theory]
    [MemberData(nameof(MalformedFields))]
    public async Task AMalformedFieldIsA4xxInTheClientsEnvelopeWithNoUpstreamCall(string path, string body)
    {
        var (teamId, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = $"malformed-{Guid.NewGuid():N}", max_budget = 5 });
        var marker = Guid.NewGuid().ToString("N");

        var (status, text) = await SendAsync(fixture.Replica, path, key, Json(body.Replace("MARK", marker)), anthropic: path == "/v1/messages");

        var upstreamCalls = fixture.Upstream.Requests.Count(r => r.Body.Contains(marker));
        Assert.True((int)status is >= 400 and < 500 && upstreamCalls == 0,
            $"{path} {Shorten(body, 160)}: expected a 4xx and no upstream call; got {(int)status} and {upstreamCalls} upstream call(s). Body: {Shorten(text)}");
        AssertEnvelope(path, text);
        Assert.Equal(0m, await TeamSpendAsync(teamId));
    }

    public static TheoryData<string> EncodingAttacks => new() { "gzip", "bom", "latin1", "text-plain-gzip", "deflate-bomb" };

    /// <summary>
    /// The gateway decodes no <c>Content-Encoding</c>: a gzip body (even a small bomb that inflates to 50 MB) is not JSON to
    /// it, and must be a 4xx with no upstream call, never forwarded, decoded past the size limit, or a 500. A UTF-8 BOM and
    /// Latin-1 bytes likewise.
    /// </summary>
    [Theory]
    [MemberData(nameof(EncodingAttacks))]
    public async Task ABodyInAnEncodingTheGatewayDoesNotReadIsA4xxWithNoUpstreamCall(string attack)
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = $"encoding-{Guid.NewGuid():N}" });
        var marker = Guid.NewGuid().ToString("N");
        var json = $$"""{"model":"gpt-test","max_tokens":10,"messages":[{"role":"user","content":"{{marker}} ü"}]}""";
        HttpContent content = attack switch
        {
            "gzip" or "text-plain-gzip" => Compressed(Encoding.UTF8.GetBytes(json), attack == "gzip" ? "application/json" : "text/plain"),
            "deflate-bomb" => Compressed(Encoding.UTF8.GetBytes(json[..^1] + ",\"pad\":\"" + new string(' ', 50_000_000) + "\"}"), "application/json"),
            "bom" => Bytes([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(json)], "application/json"),
            _ => Bytes(Encoding.Latin1.GetBytes(json), "application/json; charset=iso-8859-1"),
        };

        var (status, text) = await SendAsync(fixture.Api, "/v1/chat/completions", key, content);

        var upstreamCalls = fixture.Upstream.Requests.Count(r => r.Body.Contains(marker));
        Assert.True((int)status is >= 400 and < 500 && upstreamCalls == 0,
            $"{attack}: expected a 4xx and no upstream call; got {(int)status}, {upstreamCalls} upstream call(s). Body: {Shorten(text)}");
        AssertEnvelope("/v1/chat/completions", text);
    }

    /// <summary>
    /// Nested exactly as deep as the gateway accepts (64): served or refused, never a 500 on any route. <c>/v1/messages</c> to
    /// an OpenAI deployment was a 500 (a tool's schema moves a level down in translation); translation now writes 16 deeper.
    /// </summary>
    [Theory]
    [InlineData("/v1/chat/completions")]
    [InlineData("/v1/messages")]
    [InlineData("/v1/responses")]
    [InlineData("/v1/messages/count_tokens")]
    public async Task ABodyAtTheDepthLimitIsNeverA500(string path)
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = $"deep-{Guid.NewGuid():N}" });
        var marker = Guid.NewGuid().ToString("N");
        // root(1) > tools(2) > tool(3) > [function(4) >] schema > "x" objects: 64 levels in all.
        string Nest(int levels) => levels == 0 ? "{}" : "{\"x\":" + Nest(levels - 1) + "}";
        var body = path switch
        {
            "/v1/chat/completions" => """{"model":"gpt-test","max_tokens":10,"messages":[{"role":"user","content":"MARK"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","x":NEST58}}}]}""",
            "/v1/responses" => """{"model":"gpt-test","max_output_tokens":16,"input":"MARK","tools":[{"type":"function","name":"f","parameters":{"type":"object","x":NEST59}}]}""",
            _ => """{"model":"gpt-test","max_tokens":10,"messages":[{"role":"user","content":"MARK"}],"tools":[{"name":"f","input_schema":{"type":"object","x":NEST59}}]}""",
        };
        body = body.Replace("MARK", marker).Replace("NEST58", Nest(58)).Replace("NEST59", Nest(59));
        Assert.Equal(64, MaxDepth(body));

        var (status, text) = await SendAsync(fixture.Api, path, key, Json(body), anthropic: path.StartsWith("/v1/messages", StringComparison.Ordinal));

        Assert.True((int)status < 500, $"{path} at depth 64: expected 200 or a 4xx, got {(int)status}: {Shorten(text)}");
        if ((int)status >= 400)
        {
            AssertEnvelope(path, text);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Headers that name who is calling.
    // ---------------------------------------------------------------------------------------------------------------

    /// <summary>
    /// Two valid keys at once (<c>Authorization</c> and <c>x-api-key</c>, or <c>x-api-key</c> and <c>api-key</c>): the one the
    /// gateway authenticates is the one charged, the other is charged nothing.
    /// </summary>
    [Theory]
    [InlineData("authorization", "x-api-key")]
    [InlineData("x-api-key", "api-key")]
    [InlineData("authorization", "api-key")]
    public async Task TwoKeysInOneRequestChargeOnlyTheAuthenticatedOne(string first, string second)
    {
        var (teamA, keyA) = await fixture.CreateTeamAndKeyAsync(new { team_alias = $"two-keys-a-{Guid.NewGuid():N}", max_budget = 5 });
        var (teamB, keyB) = await fixture.CreateTeamAndKeyAsync(new { team_alias = $"two-keys-b-{Guid.NewGuid():N}", max_budget = 5 });
        using var client = fixture.Api.CreateLoopbackClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = Json("""{"model":"gpt-test","max_tokens":100,"messages":[{"role":"user","content":"two keys"}]}"""),
        };
        AddKey(request, first, keyA);
        AddKey(request, second, keyB);

        using var response = await client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await LocalProcess.WaitUntilAsync(async () => await TeamSpendAsync(teamA) > 0, TimeSpan.FromSeconds(20), "team A's spend");

        Assert.Equal(GovernanceFixture.CallCost, await TeamSpendAsync(teamA));
        Assert.Equal(0m, await TeamSpendAsync(teamB));
    }

    public static TheoryData<string> LookalikeModels => new()
    {
        " gpt-test", "gpt-test ", "GPT-TEST", "gpt-test\u200b", "gpt\u2011test", "openai/gpt-test", "gpt-*", "*", "", "gpt-test\u0000",
        new string('m', 100_000),
    };

    /// <summary>A model name that is not a group (case, spaces, look-alikes, a provider prefix, a star): 404 in the envelope.</summary>
    [Theory]
    [MemberData(nameof(LookalikeModels))]
    public async Task AModelNameThatIsNotAGroupIsA4xxWithNoUpstreamCall(string model)
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = $"lookalike-{Guid.NewGuid():N}", models = new[] { "other-model" } });
        var marker = Guid.NewGuid().ToString("N");
        foreach (var path in new[] { "/v1/chat/completions", "/v1/messages" })
        {
            var body = JsonSerializer.Serialize(new { model, max_tokens = 10, messages = new[] { new { role = "user", content = marker } } });
            var (status, text) = await SendAsync(fixture.Replica, path, key, Json(body), anthropic: path == "/v1/messages");
            Assert.True((int)status is >= 400 and < 500, $"{path} model '{Shorten(model, 40)}': expected a 4xx, got {(int)status}: {Shorten(text)}");
            AssertEnvelope(path, text);
        }

        Assert.DoesNotContain(fixture.Upstream.Requests, r => r.Body.Contains(marker));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------------------------------

    private static void AddKey(HttpRequestMessage request, string header, string key)
    {
        if (header == "authorization")
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        else
        {
            request.Headers.TryAddWithoutValidation(header, key);
        }
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));

    private static ByteArrayContent Bytes(byte[] bytes, string contentType)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    private static ByteArrayContent Compressed(byte[] bytes, string contentType)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(bytes);
        }

        var content = Bytes(buffer.ToArray(), contentType);
        content.Headers.ContentEncoding.Add("gzip");
        return content;
    }

    private static async Task<(HttpStatusCode Status, string Text)> SendAsync(GatewayApiHost host, string path, string key, HttpContent content, bool anthropic = false)
    {
        using var client = host.CreateLoopbackClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        if (anthropic)
        {
            request.Headers.Add("x-api-key", key);
            request.Headers.Add("anthropic-version", "2023-06-01");
        }
        else
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        using var response = await client.SendAsync(request, Ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    /// <summary>OpenAI's <c>{"error":{"message","type",…}}</c>, or Anthropic's <c>{"type":"error","error":{…}}</c> on /v1/messages.</summary>
    private static void AssertEnvelope(string path, string text)
    {
        JsonElement root;
        try
        {
            root = JsonDocument.Parse(text).RootElement;
        }
        catch (JsonException)
        {
            Assert.Fail($"{path}: the error body is not JSON: {Shorten(text)}");
            return;
        }

        Assert.True(root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object
            && error.TryGetProperty("message", out var message) && message.GetString() is { Length: > 0 }
            && error.TryGetProperty("type", out _),
            $"{path}: expected the error envelope, got {Shorten(text)}");
        if (path.StartsWith("/v1/messages", StringComparison.Ordinal))
        {
            Assert.True(root.TryGetProperty("type", out var type) && type.GetString() == "error", $"{path}: expected Anthropic's envelope, got {Shorten(text)}");
        }
    }

    private static int MaxDepth(string json)
    {
        int depth = 0, max = 0;
        var inString = false;
        for (var i = 0; i < json.Length; i++)
        {
            var c = json[i];
            if (inString)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    inString = false;
                }
            }
            else if (c == '"')
            {
                inString = true;
            }
            else if (c is '{' or '[')
            {
                max = Math.Max(max, ++depth);
            }
            else if (c is '}' or ']')
            {
                depth--;
            }
        }

        return max;
    }

    private static string Shorten(string text, int length = 400) => text.Length <= length ? text : text[..length] + "…";

    private async Task<decimal> TeamSpendAsync(string teamId)
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var info = await admin.GetFromJsonAsync<JsonElement>($"/team/info?team_id={Uri.EscapeDataString(teamId)}", Ct);
        return info.GetProperty("team_info").GetProperty("spend").GetDecimal();
    }
}

/// <summary>
/// Attack: Anthropic's <c>thinking.budget_tokens</c> (which interleaved thinking may spend beyond <c>max_tokens</c>, so the
/// reservation takes it as the output ceiling) written as a number that is not a plain integer literal — <c>6.4e4</c>,
/// <c>64000.0</c>. <c>max_tokens</c> written so is a 400; the budget is read with <c>TryGetInt64</c>, which refuses it, so
/// the reservation silently falls back to <c>max_tokens</c> while the body goes upstream unchanged. It must be refused (400
/// naming <c>thinking.budget_tokens</c>) or reserved at 64,000 (a 429 here), never forwarded on the smaller reservation. It
/// was forwarded; now it is a 400 (<c>BodyField.TryThinkingBudget</c>).
/// </summary>
public sealed class ThinkingBudgetClientControlledFieldAttackTests(TestServers servers) : AdversarialTestBase(servers)
{
    // 64,000 output tokens at $0.0001 = $6.40 at worst; max_tokens 1,000 = $0.10; the key's budget is $0.50.
    private string Claude() => Config(Model("claude", "anthropic/claude-sonnet-4-5-20250929", Primary,
        ["input_cost_per_token: 0", "output_cost_per_token: 0.0001", "max_output_tokens: 64000"]));

    [Theory]
    [InlineData("64000")]
    [InlineData("6.4e4")]
    [InlineData("64000.0")]
    [InlineData("6.4E+4")]
    public async Task AThinkingBudgetThatIsNotAPlainIntegerIsRefusedOrReservedNotIgnored(string budget)
    {
        var host = await StartApiAsync(Claude());
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "thinking-budget" }, new { max_budget = 0.50 });
        var body = """{"model":"claude","max_tokens":1000,"thinking":{"type":"enabled","budget_tokens":BUDGET},"messages":[{"role":"user","content":"think"}]}"""
            .Replace("BUDGET", budget);

        using var client = host.CreateLoopbackClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages")
        {
            Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.Add("x-api-key", key);
        request.Headers.Add("anthropic-version", "2023-06-01");
        request.Headers.Add("anthropic-beta", "interleaved-thinking-2025-05-14");
        using var response = await client.SendAsync(request, Timeout);
        var text = await response.Content.ReadAsStringAsync(Timeout);

        Assert.True(response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.BadRequest && Primary.RequestCount == 0,
            $"budget_tokens {budget} (64,000 thinking tokens, $6.40 at worst) under a $0.50 budget: expected 429 budget_exceeded or 400 naming " +
            $"'thinking.budget_tokens' with no upstream call; got {(int)response.StatusCode} and {Primary.RequestCount} upstream call(s). Body: {text[..Math.Min(300, text.Length)]}");
    }
}
