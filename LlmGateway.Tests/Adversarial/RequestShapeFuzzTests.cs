using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// One fake upstream (OpenAI, Azure and Anthropic wire formats) and two Api replicas over a config with a model group per
/// deployment kind: <c>openai/</c> (Responses passed through), <c>azure/</c>, <c>anthropic/</c>, <c>hosted_vllm/</c> and
/// <c>ollama/</c> (chat only), a completions model (<c>use_completions_api</c>) and embedding groups.
/// </summary>
public sealed class RequestShapeFuzzFixture(TestServers servers) : IAsyncLifetime
{
    private GatewayConfigFile config = null!;
    private HttpClient apiClient = null!;
    private HttpClient replicaClient = null!;
    private int sent;

    public FakeProviderServer Upstream { get; private set; } = null!;
    public GatewayApiHost Api { get; private set; } = null!;
    public GatewayApiHost Replica { get; private set; } = null!;
    public Alerting.LogCapture Logs { get; } = new();
    public string Key { get; private set; } = "";

    /// <summary>Deployment kind → model group.</summary>
    public static readonly IReadOnlyDictionary<string, string> Groups = new Dictionary<string, string>
    {
        ["openai"] = "fz-openai", ["azure"] = "fz-azure", ["anthropic"] = "fz-anthropic", ["vllm"] = "fz-vllm", ["ollama"] = "fz-ollama",
        ["instruct"] = "fz-instruct", ["embed-openai"] = "fz-embed-openai", ["embed-azure"] = "fz-embed-azure", ["embed-ollama"] = "fz-embed-ollama",
    };

    public async ValueTask InitializeAsync()
    {
        Upstream = await FakeProviderServer.StartAsync();
        string Entry(string group, string model, Uri apiBase, string extra = "", string info = "") => $"""
              - model_name: "{group}"
                litellm_params:
                  model: "{model}"
                  api_base: "{apiBase}"
                  api_key: "sk-upstream-fuzz"
                  {extra}
                model_info:
                  id: "{group}-id"
                  input_cost_per_token: 0.0000001
                  output_cost_per_token: 0.0000002
                  max_output_tokens: 4096
                  {info}

            """;
        config = new GatewayConfigFile("model_list:\n"
            + Entry("fz-openai", "openai/gpt-fuzz", Upstream.OpenAiBase)
            + Entry("fz-azure", "azure/fuzz-deployment", Upstream.BaseUri, "api_version: \"2024-10-21\"")
            + Entry("fz-anthropic", "anthropic/claude-sonnet-4-5", Upstream.AnthropicBase)
            + Entry("fz-vllm", "hosted_vllm/llama-fuzz", Upstream.OpenAiBase)
            + Entry("fz-ollama", "ollama/llama3", Upstream.BaseUri)
            + Entry("fz-instruct", "openai/gpt-3.5-turbo-instruct", Upstream.OpenAiBase, "use_completions_api: true")
            + Entry("fz-embed-openai", "openai/text-embedding-3-small", Upstream.OpenAiBase, info: "mode: embedding")
            + Entry("fz-embed-azure", "azure/embed-deployment", Upstream.BaseUri, "api_version: \"2024-10-21\"", "mode: embedding")
            + Entry("fz-embed-ollama", "ollama/nomic-embed-text", Upstream.BaseUri, info: "mode: embedding")
            // No background probes: each request's upstream calls are counted.
            + "general_settings:\n  health_check_interval: 86400\n");
        var database = await servers.CreateDatabaseAsync();
        var redis = await servers.CreateRedisAsync();
        var settings = config.Settings(($"Logging:{typeof(Alerting.LogCapture).FullName}:LogLevel:Default", "Warning"));
        Api = await GatewayApiHost.StartAsync(database, redis, settings);
        Replica = await GatewayApiHost.StartAsync(database, redis, settings);
        Api.Services.GetRequiredService<ILoggerFactory>().AddProvider(Logs);
        Replica.Services.GetRequiredService<ILoggerFactory>().AddProvider(Logs);
        using (var admin = Api.CreateLoopbackClient(GatewayApiHost.MasterKey))
        {
            (_, Key) = await ManagementCalls.CreateTeamAndKeyAsync(admin, new { team_alias = $"fuzz-{Guid.NewGuid():N}", max_budget = 1000 }, new { max_budget = 1000 });
        }

        apiClient = Api.CreateLoopbackClient();
        replicaClient = Replica.CreateLoopbackClient();
    }

    /// <summary>The client of the next replica, alternately.</summary>
    public HttpClient NextClient() => Interlocked.Increment(ref sent) % 2 == 0 ? replicaClient : apiClient;

    public async ValueTask DisposeAsync()
    {
        apiClient?.Dispose();
        replicaClient?.Dispose();
        if (Replica is not null)
            await Replica.DisposeAsync();
        if (Api is not null)
            await Api.DisposeAsync();
        if (Upstream is not null)
            await Upstream.DisposeAsync();
        config?.Dispose();
    }
}

/// <summary>
/// Attack: structurally mutated request bodies on every proxy route, to a model group of every deployment kind (so the
/// translations run: Responses → Anthropic, Messages → chat, Responses → chat-only vLLM, …). Whatever the shape, the
/// answer is a success or a 4xx in the route's own envelope (OpenAI's, or Anthropic's on <c>/v1/messages*</c>) with no
/// upstream call; never a 5xx. Random mutants use fixed seeds (printed with every failure, with the exact body); each
/// distinct cause found is pinned below as its own case.
/// </summary>
public sealed class RequestShapeFuzzTests(RequestShapeFuzzFixture fixture) : IClassFixture<RequestShapeFuzzFixture>
{
    private const string Chat = "/v1/chat/completions";
    private const string Responses = "/v1/responses";
    private const string Messages = "/v1/messages";
    private const string CountTokens = "/v1/messages/count_tokens";
    private const string Completions = "/v1/completions";
    private const string Embeddings = "/v1/embeddings";

    private static readonly JsonSerializerOptions Raw = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly string[] ChatKinds = ["openai", "azure", "anthropic", "vllm", "ollama"];
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // A real 1x1 PNG.
    private const string Png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
    private const string Schema = """{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""";

    /// <summary>A valid body of <paramref name="route"/> with every common shape in it: system text, an image, a tool call and its result.</summary>
    private static string BaseBody(string route) => Fill(route switch
    {
        Chat => """
            {"model":"MODEL","max_tokens":50,"temperature":0.5,"stream":false,"n":1,"user":"u1","stop":["END"],
             "response_format":{"type":"text"},"tool_choice":"auto","metadata":{"k":"v"},
             "messages":[
               {"role":"system","content":"You are terse."},
               {"role":"user","content":[{"type":"text","text":"MARK hello"},{"type":"image_url","image_url":{"url":"data:image/png;base64,PNGDATA","detail":"low"}}]},
               {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
               {"role":"tool","tool_call_id":"call_1","content":"sunny"},
               {"role":"assistant","content":"It is sunny."},
               {"role":"user","content":"thanks"}],
             "tools":[{"type":"function","function":{"name":"get_weather","description":"weather","parameters":SCHEMAJSON}}]}
            """,
        Responses => """
            {"model":"MODEL","max_output_tokens":64,"instructions":"Be terse.","temperature":0.5,"store":false,"stream":false,
             "tool_choice":"auto","text":{"format":{"type":"text"}},"metadata":{"k":"v"},
             "input":[
               {"role":"user","content":[{"type":"input_text","text":"MARK hello"},{"type":"input_image","image_url":"data:image/png;base64,PNGDATA","detail":"low"}]},
               {"type":"function_call","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}"},
               {"type":"function_call_output","call_id":"call_1","output":"sunny"},
               {"type":"message","role":"assistant","content":[{"type":"output_text","text":"It is sunny."}]},
               {"role":"user","content":"thanks"}],
             "tools":[{"type":"function","name":"get_weather","description":"weather","parameters":SCHEMAJSON}]}
            """,
        Messages or CountTokens => """
            {"model":"MODEL",MESSAGESEXTRA
             "system":[{"type":"text","text":"Be terse."}],"tool_choice":{"type":"auto"},
             "messages":[
               {"role":"user","content":[{"type":"text","text":"MARK hello"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"PNGDATA"}}]},
               {"role":"assistant","content":[{"type":"text","text":"checking"},{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}]},
               {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"sunny"}]},
               {"role":"assistant","content":"It is sunny."},
               {"role":"user","content":"thanks"}],
             "tools":[{"name":"get_weather","description":"weather","input_schema":SCHEMAJSON}]}
            """,
        Completions => """{"model":"MODEL","prompt":"MARK hello","max_tokens":16,"temperature":0.5,"n":1,"stop":["END"],"user":"u1","stream":false}""",
        Embeddings => """{"model":"MODEL","input":["MARK hello","second"],"encoding_format":"float","dimensions":256,"user":"u1"}""",
        _ => throw new ArgumentOutOfRangeException(nameof(route)),
    }).Replace("MESSAGESEXTRA", route == Messages
        ? "\"max_tokens\":50,\"temperature\":0.5,\"stream\":false,\"stop_sequences\":[\"END\"],\"metadata\":{\"user_id\":\"u1\"},"
        : "");

    private static string Fill(string json) => json.Replace("PNGDATA", Png).Replace("SCHEMAJSON", Schema);

    private static string[] KindsOf(string route) => route switch
    {
        Completions => [.. ChatKinds, "instruct"],
        Embeddings => ["embed-openai", "embed-azure", "embed-ollama"],
        // Every non-Anthropic deployment takes the same estimating path: one of them is enough.
        CountTokens => ["anthropic", "openai"],
        _ => ChatKinds,
    };

    private static readonly string[] Routes = [Chat, Responses, Messages, CountTokens, Completions, Embeddings];

    public static TheoryData<string, string> RouteAndKind()
    {
        var data = new TheoryData<string, string>();
        foreach (var route in Routes)
            foreach (var kind in KindsOf(route))
                data.Add(route, kind);
        return data;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Random structural mutants (fixed seeds).
    // ---------------------------------------------------------------------------------------------------------------

    /// <summary>
    /// The valid body is served (200), and every random structural mutant of it (a value replaced by another JSON type,
    /// a field dropped, an array item duplicated or moved, a container emptied, a value wrapped, an unknown field added,
    /// odd numbers and unicode) is served or refused with a 4xx in the route's envelope and no upstream call.
    /// </summary>
    [Theory]
    [MemberData(nameof(RouteAndKind))]
    public async Task RandomStructuralMutantsAreServedOrRefusedInTheRoutesEnvelope(string route, string kind)
    {
        var seed = StableSeed(route, kind);
        var random = new Random(seed);
        var failures = new List<string>();
        var baseBody = Body(route, kind, BaseBody(route));

        var valid = await SendAsync(route, baseBody);
        Assert.True(valid.Status == 200, $"{route} → {kind}: the valid body must be served; got {valid.Status}: {Shorten(valid.Text)}\n{baseBody}");

        var count = route is Chat or Responses or Messages ? 14 : 8;
        for (var i = 0; i < count; i++)
        {
            var node = JsonNode.Parse(baseBody)!;
            var steps = new List<string>();
            var mutations = 1 + random.Next(2);
            for (var m = 0; m < mutations; m++)
                steps.Add(Mutate(node, random));
            if (route is not (CountTokens or Embeddings) && random.Next(5) == 0)
            {
                node["stream"] = true;
                steps.Add("stream=true");
            }

            var body = node.ToJsonString(Raw);
            var outcome = await SendAsync(route, body);
            if (Check(route, outcome) is { } problem)
                failures.Add($"[seed {seed}, mutant {i}: {string.Join("; ", steps)}] {problem}\n  body: {body}\n{outcome.Logs}");
        }

        Assert.True(failures.Count == 0, $"{route} → {kind}: {failures.Count} failure(s) of {count}:\n" + string.Join("\n\n", failures));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Hand-written odd shapes, per client format.
    // ---------------------------------------------------------------------------------------------------------------

    private static readonly string Marker = "MARK";

    /// <summary>Shapes each a small edit of the valid body: (label, edit). Applied to every deployment kind of the route.</summary>
    private static IEnumerable<(string Label, Action<JsonObject> Edit)> Shapes(string route)
    {
        JsonArray Msgs(JsonObject b) => b["messages"]!.AsArray();
        JsonArray Input(JsonObject b) => b["input"]!.AsArray();
        JsonNode P(string json) => JsonNode.Parse(Fill(json))!;
        switch (route)
        {
            case Chat:
                yield return ("tool message without tool_call_id", b => Msgs(b)[3]!.AsObject().Remove("tool_call_id"));
                yield return ("tool message with an unknown tool_call_id", b => Msgs(b)[3]!["tool_call_id"] = "call_nope");
                yield return ("tool message with an empty tool_call_id", b => Msgs(b)[3]!["tool_call_id"] = "");
                yield return ("tool message first, no tool call before it", b => { Msgs(b).RemoveAt(2); });
                yield return ("assistant with empty content and empty tool_calls", b => { Msgs(b)[2]!["content"] = ""; Msgs(b)[2]!["tool_calls"] = new JsonArray(); });
                yield return ("assistant with null content and no tool_calls", b => Msgs(b)[2]!.AsObject().Remove("tool_calls"));
                yield return ("assistant content parts empty", b => Msgs(b)[4]!["content"] = new JsonArray());
                yield return ("system message in the middle", b => Msgs(b).Insert(4, P("""{"role":"system","content":"mid system"}""")));
                yield return ("developer message in the middle", b => Msgs(b).Insert(4, P("""{"role":"developer","content":[{"type":"text","text":"mid"}]}""")));
                yield return ("a role that does not exist", b => Msgs(b).Add(P("""{"role":"wizard","content":"abracadabra"}""")));
                yield return ("function role (deprecated) without name", b => Msgs(b).Add(P("""{"role":"function","content":"x"}""")));
                yield return ("messages empty", b => b["messages"] = new JsonArray());
                yield return ("only a system message", b => b["messages"] = P("""[{"role":"system","content":"MARK only system"}]"""));
                yield return ("first message from the assistant", b => Msgs(b).Insert(0, P("""{"role":"assistant","content":"I start"}""")));
                yield return ("image data URL not base64", b => Msgs(b)[1]!["content"]![1]!["image_url"]!["url"] = "data:image/png;base64,@@@not-base64@@@");
                yield return ("image data URL without media type", b => Msgs(b)[1]!["content"]![1]!["image_url"]!["url"] = "data:;base64," + Png);
                yield return ("image data URL without base64 marker", b => Msgs(b)[1]!["content"]![1]!["image_url"]!["url"] = "data:image/png," + Png);
                yield return ("image data URL empty payload", b => Msgs(b)[1]!["content"]![1]!["image_url"]!["url"] = "data:image/png;base64,");
                yield return ("image data URL of an svg", b => Msgs(b)[1]!["content"]![1]!["image_url"]!["url"] = "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=");
                yield return ("image data URL that is not an image", b => Msgs(b)[1]!["content"]![1]!["image_url"]!["url"] = "data:image/png;base64,aGVsbG8gd29ybGQ=");
                yield return ("image url empty", b => Msgs(b)[1]!["content"]![1]!["image_url"]!["url"] = "");
                yield return ("image url not a url", b => Msgs(b)[1]!["content"]![1]!["image_url"]!["url"] = "::::");
                yield return ("image_url as a string", b => Msgs(b)[1]!["content"]![1]!["image_url"] = "data:image/png;base64," + Png);
                yield return ("image_url missing", b => Msgs(b)[1]!["content"]![1]!.AsObject().Remove("image_url"));
                yield return ("content part of an unknown type", b => Msgs(b)[1]!["content"]!.AsArray().Add(P("""{"type":"hologram","data":"x"}""")));
                yield return ("content part without type", b => Msgs(b)[1]!["content"]!.AsArray().Add(P("""{"text":"no type"}""")));
                yield return ("text part with null text", b => Msgs(b)[1]!["content"]!.AsArray().Add(P("""{"type":"text","text":null}""")));
                yield return ("input_audio with bad data", b => Msgs(b)[1]!["content"]!.AsArray().Add(P("""{"type":"input_audio","input_audio":{"data":"@@","format":"wav"}}""")));
                yield return ("file part with a bad data URL", b => Msgs(b)[1]!["content"]!.AsArray().Add(P("""{"type":"file","file":{"filename":"a.pdf","file_data":"data:application/pdf;base64,@@"}}""")));
                yield return ("tool call arguments not JSON", b => Msgs(b)[2]!["tool_calls"]![0]!["function"]!["arguments"] = "{\"city\":");
                yield return ("tool call arguments a JSON array", b => Msgs(b)[2]!["tool_calls"]![0]!["function"]!["arguments"] = "[1,2]");
                yield return ("tool call arguments a JSON null", b => Msgs(b)[2]!["tool_calls"]![0]!["function"]!["arguments"] = "null");
                yield return ("tool call arguments an object, not a string", b => Msgs(b)[2]!["tool_calls"]![0]!["function"]!["arguments"] = P("""{"city":"Paris"}"""));
                yield return ("tool call arguments empty", b => Msgs(b)[2]!["tool_calls"]![0]!["function"]!["arguments"] = "");
                yield return ("tool call name empty", b => Msgs(b)[2]!["tool_calls"]![0]!["function"]!["name"] = "");
                yield return ("tool call without function", b => Msgs(b)[2]!["tool_calls"]![0]!.AsObject().Remove("function"));
                yield return ("tool call id empty", b => { Msgs(b)[2]!["tool_calls"]![0]!["id"] = ""; Msgs(b)[3]!["tool_call_id"] = ""; });
                yield return ("two tool calls with the same id", b => Msgs(b)[2]!["tool_calls"]!.AsArray().Add(Msgs(b)[2]!["tool_calls"]![0]!.DeepClone()));
                yield return ("tool call of type custom", b => Msgs(b)[2]!["tool_calls"]!.AsArray().Add(P("""{"id":"call_2","type":"custom","custom":{"name":"patch","input":"x"}}""")));
                yield return ("tool without function", b => b["tools"]![0]!.AsObject().Remove("function"));
                yield return ("tool parameters a string", b => b["tools"]![0]!["function"]!["parameters"] = "object");
                yield return ("tool of an unknown type", b => b["tools"]!.AsArray().Add(P("""{"type":"telepathy"}""")));
                yield return ("tool_choice naming an unknown function", b => b["tool_choice"] = P("""{"type":"function","function":{"name":"nope"}}"""));
                yield return ("tool_choice required without tools", b => { b.Remove("tools"); b["tool_choice"] = "required"; });
                yield return ("response_format json_schema without schema", b => b["response_format"] = P("""{"type":"json_schema","json_schema":{"name":"x"}}"""));
                yield return ("response_format of an unknown type", b => b["response_format"] = P("""{"type":"yaml"}"""));
                yield return ("stop an empty string", b => b["stop"] = "");
                yield return ("stop with 100 entries", b => b["stop"] = new JsonArray([.. Enumerable.Range(0, 100).Select(i => (JsonNode)JsonValue.Create($"s{i}"))]));
                yield return ("logit_bias with a non-numeric key", b => b["logit_bias"] = P("""{"abc":5}"""));
                yield return ("n huge", b => b["n"] = 100000);
                yield return ("max_tokens int max", b => b["max_tokens"] = int.MaxValue);
                yield return ("max_completion_tokens negative", b => b["max_completion_tokens"] = -5);
                yield return ("reasoning_effort unknown", b => b["reasoning_effort"] = "extreme");
                yield return ("unicode edge cases in content", b => Msgs(b)[5]!["content"] = "\u202Eevil\u200D\uFEFF\uFFFF e\u0301 👩‍👩‍👧‍👦 \u0000");
                yield return ("content a number", b => Msgs(b)[5]!["content"] = 42);
                yield return ("content an object", b => Msgs(b)[5]!["content"] = P("""{"type":"text","text":"obj"}"""));
                yield return ("message not an object", b => Msgs(b).Add("just a string"));
                yield return ("message null", b => Msgs(b).Add(null));
                yield return ("stream_options without stream", b => b["stream_options"] = P("""{"include_usage":true}"""));
                break;

            case Responses:
                yield return ("function_call_output without call_id", b => Input(b)[2]!.AsObject().Remove("call_id"));
                yield return ("function_call_output with an unknown call_id", b => Input(b)[2]!["call_id"] = "call_nope");
                yield return ("function_call_output with an empty call_id", b => Input(b)[2]!["call_id"] = "");
                yield return ("function_call_output without output", b => Input(b)[2]!.AsObject().Remove("output"));
                yield return ("function_call_output output as parts", b => Input(b)[2]!["output"] = P("""[{"type":"input_text","text":"sunny"},{"type":"input_image","image_url":"data:image/png;base64,@@"}]"""));
                yield return ("function_call_output output an object", b => Input(b)[2]!["output"] = P("""{"temp":20}"""));
                yield return ("function_call without call_id", b => Input(b)[1]!.AsObject().Remove("call_id"));
                yield return ("function_call without name", b => Input(b)[1]!.AsObject().Remove("name"));
                yield return ("function_call arguments not JSON", b => Input(b)[1]!["arguments"] = "{\"city\":");
                yield return ("function_call arguments a JSON array", b => Input(b)[1]!["arguments"] = "[1]");
                yield return ("function_call arguments an object", b => Input(b)[1]!["arguments"] = P("""{"city":"Paris"}"""));
                yield return ("function_call arguments empty", b => Input(b)[1]!["arguments"] = "");
                yield return ("function_call_output before its function_call", b => { var output = Input(b)[2]!; Input(b).RemoveAt(2); Input(b).Insert(0, output); });
                yield return ("two function_calls with the same call_id", b => Input(b).Insert(2, Input(b)[1]!.DeepClone()));
                yield return ("reasoning item without summary", b => Input(b).Insert(1, P("""{"type":"reasoning","id":"rs_1"}""")));
                yield return ("reasoning item with a summary string", b => Input(b).Insert(1, P("""{"type":"reasoning","id":"rs_1","summary":"thought"}""")));
                yield return ("reasoning item with encrypted_content", b => Input(b).Insert(1, P("""{"type":"reasoning","id":"rs_1","summary":[],"encrypted_content":"gAAAA-not-really"}""")));
                yield return ("reasoning item without id", b => Input(b).Insert(1, P("""{"type":"reasoning","summary":[{"type":"summary_text","text":"t"}]}""")));
                yield return ("item of an unknown type", b => Input(b).Add(P("""{"type":"teleport","to":"mars"}""")));
                yield return ("item_reference to an unknown id", b => Input(b).Add(P("""{"type":"item_reference","id":"msg_nope"}""")));
                yield return ("web_search_call item", b => Input(b).Insert(1, P("""{"type":"web_search_call","id":"ws_1","status":"completed","action":{"type":"search","query":"q"}}""")));
                yield return ("custom_tool_call without name", b => Input(b).Insert(3, P("""{"type":"custom_tool_call","call_id":"call_c","input":"patch"}""")));
                yield return ("custom_tool_call_output with no call", b => Input(b).Add(P("""{"type":"custom_tool_call_output","call_id":"call_zz","output":"done"}""")));
                yield return ("local_shell_call item", b => Input(b).Insert(3, P("""{"type":"local_shell_call","id":"ls_1","call_id":"call_ls","status":"completed","action":{"type":"exec","command":["ls"]}}""")));
                yield return ("compaction item", b => Input(b).Insert(0, P("""{"type":"compaction","encrypted_content":"zzz"}""")));
                yield return ("message with role tool", b => Input(b).Add(P("""{"role":"tool","content":"x"}""")));
                yield return ("message with a role that does not exist", b => Input(b).Add(P("""{"type":"message","role":"wizard","content":"x"}""")));
                yield return ("message of type message without role", b => Input(b).Add(P("""{"type":"message","content":"x"}""")));
                yield return ("system message in the middle", b => Input(b).Insert(3, P("""{"role":"system","content":"mid system"}""")));
                yield return ("developer message with input_image", b => Input(b).Insert(3, P("""{"role":"developer","content":[{"type":"input_image","image_url":"data:image/png;base64,PNGDATA"}]}""")));
                yield return ("output_text in a user message", b => Input(b).Add(P("""{"role":"user","content":[{"type":"output_text","text":"x"}]}""")));
                yield return ("input_text in an assistant message", b => Input(b).Add(P("""{"role":"assistant","content":[{"type":"input_text","text":"x"}]}""")));
                yield return ("refusal part in assistant history", b => Input(b)[3]!["content"]!.AsArray().Add(P("""{"type":"refusal","refusal":"no"}""")));
                yield return ("content parts empty", b => Input(b)[0]!["content"] = new JsonArray());
                yield return ("content part of an unknown type", b => Input(b)[0]!["content"]!.AsArray().Add(P("""{"type":"input_hologram"}""")));
                yield return ("input_image data URL not base64", b => Input(b)[0]!["content"]![1]!["image_url"] = "data:image/png;base64,@@@");
                yield return ("input_image data URL that is not an image", b => Input(b)[0]!["content"]![1]!["image_url"] = "data:image/png;base64,aGVsbG8=");
                yield return ("input_image without image_url nor file_id", b => Input(b)[0]!["content"]![1]!.AsObject().Remove("image_url"));
                yield return ("input_image with a file_id", b => { Input(b)[0]!["content"]![1]!.AsObject().Remove("image_url"); Input(b)[0]!["content"]![1]!["file_id"] = "file_nope"; });
                yield return ("input_image image_url an object", b => Input(b)[0]!["content"]![1]!["image_url"] = P("""{"url":"data:image/png;base64,xx"}"""));
                yield return ("input_file with bad file_data", b => Input(b)[0]!["content"]!.AsArray().Add(P("""{"type":"input_file","filename":"a.pdf","file_data":"data:application/pdf;base64,@@"}""")));
                yield return ("input_file with nothing", b => Input(b)[0]!["content"]!.AsArray().Add(P("""{"type":"input_file"}""")));
                yield return ("input_audio part", b => Input(b)[0]!["content"]!.AsArray().Add(P("""{"type":"input_audio","input_audio":{"data":"@@","format":"wav"}}""")));
                yield return ("input empty array", b => b["input"] = new JsonArray());
                yield return ("input empty string", b => b["input"] = "");
                yield return ("input null", b => b["input"] = null);
                yield return ("input an object", b => b["input"] = P("""{"role":"user","content":"MARK"}"""));
                yield return ("input array of strings", b => b["input"] = P("""["MARK","b"]"""));
                yield return ("instructions an object", b => b["instructions"] = P("""{"text":"x"}"""));
                yield return ("instructions an array of messages", b => b["instructions"] = P("""[{"role":"system","content":"x"}]"""));
                yield return ("function tool without name", b => b["tools"]![0]!.AsObject().Remove("name"));
                yield return ("function tool in chat-completions shape", b => b["tools"] = P("""[{"type":"function","function":{"name":"get_weather","parameters":SCHEMAJSON}}]"""));
                yield return ("custom tool without format", b => b["tools"]!.AsArray().Add(P("""{"type":"custom","name":"patch"}""")));
                yield return ("custom tool with a grammar format", b => b["tools"]!.AsArray().Add(P("""{"type":"custom","name":"patch","format":{"type":"grammar","syntax":"lark","definition":"start: /.+/"}}""")));
                yield return ("namespace tool", b => b["tools"]!.AsArray().Add(P("""{"type":"namespace","name":"ns","tools":[]}""")));
                yield return ("tool of an unknown type", b => b["tools"]!.AsArray().Add(P("""{"type":"telepathy"}""")));
                yield return ("tool_choice naming an unknown function", b => b["tool_choice"] = P("""{"type":"function","name":"nope"}"""));
                yield return ("tool_choice allowed_tools", b => b["tool_choice"] = P("""{"type":"allowed_tools","mode":"auto","tools":[{"type":"function","name":"get_weather"}]}"""));
                yield return ("text.format json_schema without schema", b => b["text"] = P("""{"format":{"type":"json_schema","name":"x"}}"""));
                yield return ("text.format json_schema with schema a string", b => b["text"] = P("""{"format":{"type":"json_schema","name":"x","schema":"object"}}"""));
                yield return ("text.format of an unknown type", b => b["text"] = P("""{"format":{"type":"yaml"}}"""));
                yield return ("text.verbosity unknown", b => b["text"] = P("""{"verbosity":"loud"}"""));
                yield return ("reasoning effort unknown", b => b["reasoning"] = P("""{"effort":"extreme","summary":"auto"}"""));
                yield return ("reasoning a string", b => b["reasoning"] = "high");
                yield return ("include unknown entries", b => b["include"] = P("""["reasoning.encrypted_content","nonsense.field"]"""));
                yield return ("previous_response_id empty", b => b["previous_response_id"] = "");
                yield return ("previous_response_id with store false", b => b["previous_response_id"] = "resp_does_not_exist");
                yield return ("conversation object", b => b["conversation"] = P("""{"id":"conv_nope"}"""));
                yield return ("prompt template reference", b => b["prompt"] = P("""{"id":"pmpt_nope","variables":{"a":"b"}}"""));
                yield return ("truncation unknown", b => b["truncation"] = "sometimes");
                yield return ("max_tool_calls negative", b => b["max_tool_calls"] = -1);
                yield return ("top_logprobs huge", b => b["top_logprobs"] = 1000);
                yield return ("unicode edge cases in text", b => Input(b)[4]!["content"] = "\u202Eevil\u200D\uFEFF\uFFFF e\u0301 👩‍👩‍👧‍👦 \u0000");
                yield return ("item not an object", b => Input(b).Add(42));
                yield return ("item null", b => Input(b).Add(null));
                break;

            case Messages:
            case CountTokens:
                yield return ("tool_result with no tool_use before it", b => Msgs(b)[1]!["content"] = P("""[{"type":"text","text":"no tool"}]"""));
                yield return ("tool_result in the first user message", b => Msgs(b)[0]!["content"]!.AsArray().Add(P("""{"type":"tool_result","tool_use_id":"toolu_x","content":"orphan"}""")));
                yield return ("tool_result without tool_use_id", b => Msgs(b)[2]!["content"]![0]!.AsObject().Remove("tool_use_id"));
                yield return ("tool_result with an empty tool_use_id", b => Msgs(b)[2]!["content"]![0]!["tool_use_id"] = "");
                yield return ("tool_result content parts with an image with bad data", b => Msgs(b)[2]!["content"]![0]!["content"] = P("""[{"type":"text","text":"x"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"@@@"}}]"""));
                yield return ("tool_result content an object", b => Msgs(b)[2]!["content"]![0]!["content"] = P("""{"type":"text","text":"x"}"""));
                yield return ("tool_result is_error a string", b => Msgs(b)[2]!["content"]![0]!["is_error"] = "yes");
                yield return ("tool_result nested in a tool_result", b => Msgs(b)[2]!["content"]![0]!["content"] = P("""[{"type":"tool_result","tool_use_id":"toolu_1","content":"deep"}]"""));
                yield return ("tool_result in an assistant message", b => Msgs(b)[3]!["content"] = P("""[{"type":"tool_result","tool_use_id":"toolu_1","content":"x"}]"""));
                yield return ("tool_use in a user message", b => Msgs(b)[0]!["content"]!.AsArray().Add(P("""{"type":"tool_use","id":"toolu_u","name":"get_weather","input":{}}""")));
                yield return ("tool_use without a tool_result after it", b => { Msgs(b).RemoveAt(2); Msgs(b).RemoveAt(2); });
                yield return ("tool_use input a string", b => Msgs(b)[1]!["content"]![1]!["input"] = "{\"city\":\"Paris\"}");
                yield return ("tool_use input an array", b => Msgs(b)[1]!["content"]![1]!["input"] = P("[1,2]"));
                yield return ("tool_use input null", b => Msgs(b)[1]!["content"]![1]!["input"] = null);
                yield return ("tool_use without id", b => Msgs(b)[1]!["content"]![1]!.AsObject().Remove("id"));
                yield return ("tool_use with an empty name", b => Msgs(b)[1]!["content"]![1]!["name"] = "");
                yield return ("two tool_use blocks with the same id", b => Msgs(b)[1]!["content"]!.AsArray().Add(Msgs(b)[1]!["content"]![1]!.DeepClone()));
                yield return ("image with bad base64", b => Msgs(b)[0]!["content"]![1]!["source"]!["data"] = "@@@not-base64@@@");
                yield return ("image bytes that are not an image", b => Msgs(b)[0]!["content"]![1]!["source"]!["data"] = "aGVsbG8gd29ybGQ=");
                yield return ("image with empty data", b => Msgs(b)[0]!["content"]![1]!["source"]!["data"] = "");
                yield return ("image with an unknown media_type", b => Msgs(b)[0]!["content"]![1]!["source"]!["media_type"] = "image/tiff");
                yield return ("image without media_type", b => Msgs(b)[0]!["content"]![1]!["source"]!.AsObject().Remove("media_type"));
                yield return ("image source of type url with a bad url", b => Msgs(b)[0]!["content"]![1]!["source"] = P("""{"type":"url","url":"::::"}"""));
                yield return ("image source of an unknown type", b => Msgs(b)[0]!["content"]![1]!["source"] = P("""{"type":"carrier_pigeon"}"""));
                yield return ("image without source", b => Msgs(b)[0]!["content"]![1]!.AsObject().Remove("source"));
                yield return ("document block with bad pdf data", b => Msgs(b)[0]!["content"]!.AsArray().Add(P("""{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"@@"}}""")));
                yield return ("document block of plain text", b => Msgs(b)[0]!["content"]!.AsArray().Add(P("""{"type":"document","source":{"type":"text","media_type":"text/plain","data":"plain"}}""")));
                yield return ("thinking block in a user message", b => Msgs(b)[0]!["content"]!.AsArray().Add(P("""{"type":"thinking","thinking":"hmm","signature":"sig"}""")));
                yield return ("thinking block without signature in the assistant", b => Msgs(b)[1]!["content"]!.AsArray().Insert(0, P("""{"type":"thinking","thinking":"hmm"}""")));
                yield return ("redacted_thinking block", b => Msgs(b)[1]!["content"]!.AsArray().Insert(0, P("""{"type":"redacted_thinking","data":"zzz"}""")));
                yield return ("server_tool_use and web_search_tool_result in history", b => Msgs(b)[3]!["content"] = P("""[{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"query":"q"}},{"type":"web_search_tool_result","tool_use_id":"srvtoolu_1","content":[]},{"type":"text","text":"done"}]"""));
                yield return ("content block of an unknown type", b => Msgs(b)[0]!["content"]!.AsArray().Add(P("""{"type":"hologram"}""")));
                yield return ("content block without type", b => Msgs(b)[0]!["content"]!.AsArray().Add(P("""{"text":"no type"}""")));
                yield return ("text block with null text", b => Msgs(b)[0]!["content"]!.AsArray().Add(P("""{"type":"text","text":null}""")));
                yield return ("empty content array", b => Msgs(b)[3]!["content"] = new JsonArray());
                yield return ("empty content string", b => Msgs(b)[3]!["content"] = "");
                yield return ("system role in messages", b => Msgs(b).Insert(3, P("""{"role":"system","content":"mid system"}""")));
                yield return ("a role that does not exist", b => Msgs(b).Add(P("""{"role":"wizard","content":"x"}""")));
                yield return ("two user messages in a row", b => Msgs(b).Add(P("""{"role":"user","content":"again"}""")));
                yield return ("first message from the assistant", b => Msgs(b).Insert(0, P("""{"role":"assistant","content":"I start"}""")));
                yield return ("last message from the assistant (prefill)", b => Msgs(b).Add(P("""{"role":"assistant","content":"Prefill "}""")));
                yield return ("messages empty", b => b["messages"] = new JsonArray());
                yield return ("system a number", b => b["system"] = 42);
                yield return ("system with an image block", b => b["system"] = P("""[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"PNGDATA"}}]"""));
                yield return ("system block without text", b => b["system"] = P("""[{"type":"text"}]"""));
                yield return ("cache_control of an unknown type", b => Msgs(b)[0]!["content"]![0]!["cache_control"] = P("""{"type":"forever"}"""));
                yield return ("cache_control with a bad ttl", b => Msgs(b)[0]!["content"]![0]!["cache_control"] = P("""{"type":"ephemeral","ttl":"1y"}"""));
                yield return ("tool without input_schema", b => b["tools"]![0]!.AsObject().Remove("input_schema"));
                yield return ("tool input_schema a string", b => b["tools"]![0]!["input_schema"] = "object");
                yield return ("tool without name", b => b["tools"]![0]!.AsObject().Remove("name"));
                yield return ("server tool of an unknown type", b => b["tools"]!.AsArray().Add(P("""{"type":"telepathy_20250101","name":"t"}""")));
                yield return ("tool_choice tool without name", b => b["tool_choice"] = P("""{"type":"tool"}"""));
                yield return ("tool_choice naming an unknown tool", b => b["tool_choice"] = P("""{"type":"tool","name":"nope"}"""));
                yield return ("tool_choice a string", b => b["tool_choice"] = "auto");
                yield return ("thinking enabled without budget", b => b["thinking"] = P("""{"type":"enabled"}"""));
                yield return ("thinking budget above max_tokens", b => b["thinking"] = P("""{"type":"enabled","budget_tokens":1000000}"""));
                yield return ("thinking of an unknown type", b => b["thinking"] = P("""{"type":"maybe"}"""));
                yield return ("stop_sequences with an empty string", b => b["stop_sequences"] = P("""[""]"""));
                yield return ("metadata.user_id an object", b => b["metadata"] = P("""{"user_id":{"id":"x"}}"""));
                yield return ("top_k negative", b => b["top_k"] = -1);
                yield return ("unicode edge cases in text", b => Msgs(b)[4]!["content"] = "\u202Eevil\u200D\uFEFF\uFFFF e\u0301 👩‍👩‍👧‍👦 \u0000");
                yield return ("message not an object", b => Msgs(b).Add("just a string"));
                yield return ("message null", b => Msgs(b).Add(null));
                break;

            case Completions:
                yield return ("prompt empty array", b => b["prompt"] = new JsonArray());
                yield return ("prompt array with an empty array", b => b["prompt"] = P("[[]]"));
                yield return ("prompt mixing strings and tokens", b => b["prompt"] = P("""["MARK",[1,2],3]"""));
                yield return ("prompt negative token ids", b => b["prompt"] = P("[[-1,-2]]"));
                yield return ("prompt token id beyond the vocabulary", b => b["prompt"] = P("[[99999999999]]"));
                yield return ("prompt token ids as floats", b => b["prompt"] = P("[1.5,2.5]"));
                yield return ("prompt an object", b => b["prompt"] = P("""{"text":"MARK"}"""));
                yield return ("prompt null", b => b["prompt"] = null);
                yield return ("prompt empty string", b => b["prompt"] = "");
                yield return ("prompt array of nulls", b => b["prompt"] = P("[null,null]"));
                yield return ("prompt array of 50 prompts", b => b["prompt"] = new JsonArray([.. Enumerable.Range(0, 50).Select(i => (JsonNode)JsonValue.Create($"MARK {i}"))]));
                yield return ("suffix a number", b => b["suffix"] = 5);
                yield return ("echo with logprobs", b => { b["echo"] = true; b["logprobs"] = 5; });
                yield return ("logprobs huge", b => b["logprobs"] = 1000);
                yield return ("best_of below n", b => { b["best_of"] = 1; b["n"] = 3; });
                yield return ("best_of zero", b => b["best_of"] = 0);
                yield return ("n zero", b => b["n"] = 0);
                yield return ("n with several prompts", b => { b["n"] = 3; b["prompt"] = P("""["MARK a","b"]"""); });
                yield return ("stop an object", b => b["stop"] = P("{}"));
                yield return ("messages instead of prompt", b => { b.Remove("prompt"); b["messages"] = P("""[{"role":"user","content":"MARK"}]"""); });
                yield return ("unicode edge cases in the prompt", b => b["prompt"] = "MARK \u202Eevil\u200D\uFEFF\uFFFF e\u0301 👩‍👩‍👧‍👦 \u0000");
                break;

            case Embeddings:
                yield return ("input empty array", b => b["input"] = new JsonArray());
                yield return ("input array with an empty string", b => b["input"] = P("""["MARK",""]"""));
                yield return ("input empty string", b => b["input"] = "");
                yield return ("input array of empty arrays", b => b["input"] = P("[[]]"));
                yield return ("input token ids", b => b["input"] = P("[1,2,3]"));
                yield return ("input arrays of token ids", b => b["input"] = P("[[1,2],[3]]"));
                yield return ("input negative token ids", b => b["input"] = P("[-1]"));
                yield return ("input mixing strings and tokens", b => b["input"] = P("""["MARK",1]"""));
                yield return ("input array of arrays of strings", b => b["input"] = P("""[["MARK"]]"""));
                yield return ("input null", b => b["input"] = null);
                yield return ("input array of nulls", b => b["input"] = P("[null]"));
                yield return ("input 3000 strings", b => b["input"] = new JsonArray([.. Enumerable.Range(0, 3000).Select(i => (JsonNode)JsonValue.Create($"MARK {i}"))]));
                yield return ("encoding_format base64", b => b["encoding_format"] = "base64");
                yield return ("encoding_format unknown", b => b["encoding_format"] = "hex");
                yield return ("dimensions zero", b => b["dimensions"] = 0);
                yield return ("dimensions negative", b => b["dimensions"] = -1);
                yield return ("dimensions huge", b => b["dimensions"] = int.MaxValue);
                yield return ("unicode edge cases in the input", b => b["input"] = "MARK \u202Eevil\u200D\uFEFF\uFFFF e\u0301 👩‍👩‍👧‍👦 \u0000");
                break;
        }
    }

    /// <summary>Every hand-written odd shape of the route, to every deployment kind: served or a 4xx in the envelope with no upstream call.</summary>
    [Theory]
    [MemberData(nameof(RouteAndKind))]
    public async Task HandWrittenOddShapesAreServedOrRefusedInTheRoutesEnvelope(string route, string kind)
    {
        var failures = new List<string>();
        var total = 0;
        foreach (var (label, edit) in Shapes(route))
        {
            var node = JsonNode.Parse(Body(route, kind, BaseBody(route)))!.AsObject();
            edit(node);
            // Every other shape streamed, so the streaming paths see them too at no extra request.
            var streamed = route is not (CountTokens or Embeddings) && total % 2 == 1;
            if (streamed)
                node["stream"] = true;
            var body = node.ToJsonString(Raw);
            var outcome = await SendAsync(route, body);
            total++;
            if (Check(route, outcome) is { } problem)
                failures.Add($"[{label}{(streamed ? ", streamed" : "")}] {problem}\n  body: {body}\n{outcome.Logs}");
        }

        Assert.True(failures.Count == 0, $"{route} → {kind}: {failures.Count} failure(s) of {total}:\n" + string.Join("\n\n", failures));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The other proxy routes: stored responses, read and deleted with odd ids and queries.
    // ---------------------------------------------------------------------------------------------------------------

    /// <summary>
    /// <c>GET|DELETE /v1/responses/{id}</c> and <c>GET /v1/responses/{id}/input_items</c> with odd ids (empty-ish, escaped
    /// NUL and slashes, unicode, 5,000 characters) and odd queries (<c>limit</c> not a number, out of range or beyond an
    /// int; an unknown <c>order</c>; an <c>after</c> that is no item): 200 or a 4xx in OpenAI's envelope, never a 5xx, and
    /// never an upstream call.
    /// </summary>
    [Fact]
    public async Task StoredResponseRoutesWithOddIdsAndQueriesAreNeverA5xx()
    {
        var created = await SendAsync(Responses, Body(Responses, "anthropic", """{"model":"MODEL","input":"MARK","store":true,"max_output_tokens":16}"""));
        Assert.True(created.Status == 200, $"creating a stored response: {created.Status} {Shorten(created.Text)}");
        var id = JsonDocument.Parse(created.Text).RootElement.GetProperty("id").GetString()!;
        // (An escaped NUL in the path, "a%00b", is refused by Kestrel itself with an empty 400 before the app runs: left out.)
        string[] ids = [id + "x", "resp_", "%20", "..%2F..%2Fkey%2Flist", "%F0%9F%98%80", "resp_" + new string('x', 5000), "%E2%80%AE" + id];
        string[] queries =
        [
            "limit=abc", "limit=-1", "limit=0", "limit=101", "limit=1e9", "limit=99999999999", "limit=", "order=sideways", "order=",
            "after=nope", "after=", "limit=5&order=asc&after=msg_nope", "limit=1&limit=2", "order=asc&order=desc", "include[]=x&limit=%00",
        ];
        var requests = new List<(HttpMethod Method, string Path)>();
        foreach (var odd in ids)
        {
            requests.Add((HttpMethod.Get, $"{Responses}/{odd}"));
            requests.Add((HttpMethod.Get, $"{Responses}/{odd}/input_items"));
            requests.Add((HttpMethod.Delete, $"{Responses}/{odd}"));
        }

        requests.AddRange(queries.Select(query => (HttpMethod.Get, $"{Responses}/{id}/input_items?{query}")));
        requests.AddRange(queries.Select(query => (HttpMethod.Get, $"{Responses}/{id}?{query}")));
        requests.Add((HttpMethod.Delete, $"{Responses}/{id}"));
        requests.Add((HttpMethod.Delete, $"{Responses}/{id}"));
        requests.Add((HttpMethod.Get, $"{Responses}/{id}/input_items?limit=1"));

        var failures = new List<string>();
        foreach (var (method, path) in requests)
        {
            var before = fixture.Upstream.RequestCount;
            using var request = new HttpRequestMessage(method, path) { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", fixture.Key) } };
            using var response = await fixture.NextClient().SendAsync(request, Ct);
            var text = await response.Content.ReadAsStringAsync(Ct);
            var status = (int)response.StatusCode;
            var calls = fixture.Upstream.RequestCount - before;
            if (status >= 500 || calls > 0 || (status >= 400 && EnvelopeProblem(Responses, text) is { } envelope))
                failures.Add($"{method} {Shorten(path, 200)}: {status} after {calls} upstream call(s): {Shorten(text)}");
        }

        Assert.True(failures.Count == 0, $"{failures.Count} failure(s) of {requests.Count}:\n" + string.Join("\n", failures));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Holes found: translated bodies the provider is bound to reject, forwarded anyway.
    // ---------------------------------------------------------------------------------------------------------------

    /// <summary>
    /// Tool calls and results not paired (a result answering no call of the turn before it, a call left without its result)
    /// and a legacy completion's empty prompt, each to a deployment of another format: refused before the translation is
    /// sent (<c>ToolPairing</c>, <c>CompletionsRequestDecoder.EmptyPrompt</c>), naming the client's own field.
    /// </summary>
    [Theory]
    // Chat completions → Anthropic: a tool message answering no tool call becomes an orphan tool_result.
    [InlineData(Chat, "anthropic", """{"model":"MODEL","max_tokens":10,"messages":[{"role":"user","content":"MARK"},{"role":"tool","tool_call_id":"call_nope","content":"sunny"}]}""")]
    // Chat completions → Anthropic: an assistant tool call with no tool message after it becomes a tool_use without tool_result.
    [InlineData(Chat, "anthropic", """{"model":"MODEL","max_tokens":10,"messages":[{"role":"user","content":"MARK"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"user","content":"go on"}]}""")]
    // Messages → OpenAI chat: a tool_result answering no tool_use becomes a tool message answering no tool call.
    [InlineData(Messages, "openai", """{"model":"MODEL","max_tokens":10,"messages":[{"role":"user","content":[{"type":"text","text":"MARK"},{"type":"tool_result","tool_use_id":"toolu_nope","content":"sunny"}]}]}""")]
    [InlineData(Messages, "azure", """{"model":"MODEL","max_tokens":10,"messages":[{"role":"user","content":[{"type":"text","text":"MARK"},{"type":"tool_result","tool_use_id":"toolu_nope","content":"sunny"}]}]}""")]
    // Messages → OpenAI chat: a tool_use with no tool_result after it becomes tool_calls no tool message answers.
    [InlineData(Messages, "openai", """{"model":"MODEL","max_tokens":10,"messages":[{"role":"user","content":"MARK"},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"f","input":{}}]},{"role":"user","content":"go on"}]}""")]
    // Responses → Anthropic and → chat-only vLLM: a function_call whose output never comes (a tool_use without tool_result;
    // tool_calls no tool message answers).
    [InlineData(Responses, "anthropic", """{"model":"MODEL","max_output_tokens":16,"input":[{"role":"user","content":"MARK"},{"type":"function_call","call_id":"call_1","name":"f","arguments":"{}"},{"role":"user","content":"go on"}]}""")]
    [InlineData(Responses, "vllm", """{"model":"MODEL","max_output_tokens":16,"input":[{"role":"user","content":"MARK"},{"type":"function_call","call_id":"call_1","name":"f","arguments":"{}"},{"role":"user","content":"go on"}]}""")]
    // Legacy completions → any chat deployment: an empty prompt string becomes "messages": [] (OpenAI: "[] is too short - 'messages'").
    [InlineData(Completions, "openai", """{"model":"MODEL","prompt":"","max_tokens":16,"user":"MARK"}""")]
    [InlineData(Completions, "azure", """{"model":"MODEL","prompt":"","max_tokens":16,"user":"MARK"}""")]
    public Task AnUnpairedToolCallOrAnEmptyPromptIsRefusedBeforeAnyUpstreamCall(string route, string kind, string template) =>
        ATranslationTheProviderMustRejectIsRefusedBeforeAnyUpstreamCall(route, kind, template);

    /// <summary>
    /// A request the gateway translates for another provider, whose translation that provider is bound to reject with a
    /// 400 (Anthropic: a base64 image source that is not base64 or not jpeg/png/gif/webp, a <c>tool_result</c> answering no
    /// <c>tool_use</c>, a <c>tool_use</c> left without its <c>tool_result</c>; OpenAI chat: a <c>tool</c> message answering
    /// no tool call, an assistant's <c>tool_calls</c> left unanswered, an empty <c>messages</c>). The fake upstream
    /// accepts anything; against the real provider they would be a 4xx after an upstream call, naming fields of the
    /// translated body the client never wrote. The gateway already refuses their siblings
    /// before any upstream call (a data URL without <c>;base64</c>, a tool message without <c>tool_call_id</c>, a Responses
    /// <c>function_call_output</c> whose <c>call_id</c> matches no call, an empty prompt array): these must be refused the
    /// same way, a 4xx in the route's envelope naming the client's own field, with no upstream call. The image cases below
    /// are (<c>MediaSource.FromUrl</c>: base64, a media type, an image type a provider reads); the pairing cases above.
    /// </summary>
    [Theory]
    // Chat completions → Anthropic: the data URL's payload is not base64 (Anthropic: "image.source.base64: invalid base64 data").
    [InlineData(Chat, "anthropic", """{"model":"MODEL","max_tokens":10,"messages":[{"role":"user","content":[{"type":"text","text":"MARK"},{"type":"image_url","image_url":{"url":"data:image/png;base64,@@@not-base64@@@"}}]}]}""")]
    // Responses → Anthropic: the same, from an input_image.
    [InlineData(Responses, "anthropic", """{"model":"MODEL","max_output_tokens":16,"input":[{"role":"user","content":[{"type":"input_text","text":"MARK"},{"type":"input_image","image_url":"data:image/png;base64,@@@not-base64@@@"}]}]}""")]
    // Chat completions → Anthropic: a media type Anthropic does not take (only image/jpeg, png, gif, webp).
    [InlineData(Chat, "anthropic", """{"model":"MODEL","max_tokens":10,"messages":[{"role":"user","content":[{"type":"text","text":"MARK"},{"type":"image_url","image_url":{"url":"data:image/svg+xml;base64,PHN2Zz48L3N2Zz4="}}]}]}""")]
    // Chat completions → Anthropic: no media type at all ("data:;base64,…" becomes media_type "").
    [InlineData(Chat, "anthropic", """{"model":"MODEL","max_tokens":10,"messages":[{"role":"user","content":[{"type":"text","text":"MARK"},{"type":"image_url","image_url":{"url":"data:;base64,iVBORw0KGgo="}}]}]}""")]
    public async Task ATranslationTheProviderMustRejectIsRefusedBeforeAnyUpstreamCall(string route, string kind, string template)
    {
        var body = Body(route, kind, template);
        var outcome = await SendAsync(route, body);
        var forwarded = fixture.Upstream.Requests.TakeLast(outcome.UpstreamCalls).Select(r => $"  upstream {r.Path}: {Shorten(r.Body, 1500)}");

        Assert.True(outcome.Status is >= 400 and < 500 && outcome.UpstreamCalls == 0,
            $"{route} → {kind}: expected a 4xx naming the client's field and no upstream call; got {outcome.Status} after {outcome.UpstreamCalls} upstream call(s): "
            + $"{Shorten(outcome.Text, 300)}\n  body: {body}\n{string.Join("\n", forwarded)}");
        Assert.Null(EnvelopeProblem(route, outcome.Text));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Mutation engine.
    // ---------------------------------------------------------------------------------------------------------------

    private static readonly string[] OddValues =
    [
        "null", "true", "false", "0", "-1", "1.5", "1e308", "-1e308", "9223372036854775807", "99999999999999999999", "\"\"", "\" \"", "\"x\"",
        "\"\\u0000\"", "\"😀👍🏽\"", "\"e\\u0301\"", "\"\\u202Eabc\"", "\"\\uFEFF\"", "\"\\uFFFF\"", "[]", "{}", "[null]", "[1]", "[\"\"]", "[[]]",
        "{\"type\":\"text\",\"text\":\"x\"}", "{\"type\":\"bogus\"}", "\"data:image/png;base64,@@@\"", "\"{\\\"a\\\":\"", "\"call_1\"", "\"toolu_1\"",
        "\"user\"", "\"assistant\"", "\"function\"", "\"image\"", "\"tool_result\"",
    ];

    /// <summary>Applies one random structural mutation to a node under <paramref name="root"/> (never the root's <c>model</c>); returns what it did.</summary>
    private static string Mutate(JsonNode root, Random random)
    {
        var slots = new List<(JsonNode Parent, string? Name, int Index, string Path)>();
        Collect(root, "$", slots);
        if (slots.Count == 0)
            return "nothing to mutate";
        var (parent, name, index, path) = slots[random.Next(slots.Count)];
        JsonNode? Current() => name is not null ? parent[name] : parent.AsArray()[index];
        void Set(JsonNode? value)
        {
            if (name is not null)
                parent[name] = value;
            else
                parent.AsArray()[index] = value;
        }

        switch (random.Next(9))
        {
            case 0:
            case 1:
            case 2:
                var odd = OddValues[random.Next(OddValues.Length)];
                Set(odd == "null" ? null : JsonNode.Parse(odd));
                return $"{path} = {odd}";
            case 3:
                if (name is not null)
                    parent.AsObject().Remove(name);
                else
                    parent.AsArray().RemoveAt(index);
                return $"drop {path}";
            case 4:
                if (name is null)
                {
                    parent.AsArray().Insert(index, Current()?.DeepClone());
                    return $"duplicate {path}";
                }

                parent[name] = Current() is { } value ? new JsonArray(value.DeepClone(), value.DeepClone()) : new JsonArray();
                return $"{path} = [itself, itself]";
            case 5:
                switch (Current())
                {
                    case JsonArray:
                        Set(new JsonArray());
                        return $"{path} = []";
                    case JsonObject:
                        Set(new JsonObject());
                        return $"{path} = {{}}";
                    default:
                        Set(new JsonArray(Current()?.DeepClone()));
                        return $"{path} = [itself]";
                }
            case 6:
                if (name is null && parent.AsArray().Count > 1)
                {
                    var array = parent.AsArray();
                    var other = random.Next(array.Count);
                    var moved = array[index]!.DeepClone();
                    array.RemoveAt(index);
                    array.Insert(Math.Min(other, array.Count), moved);
                    return $"move {path} to [{other}]";
                }

                Set(new JsonObject { ["type"] = "text", ["text"] = Current()?.DeepClone() });
                return $"{path} = {{type:text,text:itself}}";
            case 7:
                var target = Current() as JsonObject ?? parent as JsonObject;
                if (target is not null)
                {
                    var odd2 = OddValues[random.Next(OddValues.Length)];
                    var field = random.Next(3) switch { 0 => "type", 1 => "role", _ => "x_fuzz" };
                    target[field] = odd2 == "null" ? null : JsonNode.Parse(odd2);
                    return $"{path}(or parent).{field} = {odd2}";
                }

                Set(null);
                return $"{path} = null";
            default:
                var number = random.Next(6) switch { 0 => "-2147483649", 1 => "2147483648", 2 => "0", 3 => "-0.0", 4 => "1e-320", _ => "4294967296" };
                Set(JsonNode.Parse(number));
                return $"{path} = {number}";
        }
    }

    private static void Collect(JsonNode node, string path, List<(JsonNode, string?, int, string)> slots)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj.ToList())
                {
                    var child = $"{path}.{name}";
                    if (path == "$" && name == "model")
                        continue;
                    slots.Add((obj, name, -1, child));
                    if (value is not null)
                        Collect(value, child, slots);
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    var child = $"{path}[{i}]";
                    slots.Add((array, null, i, child));
                    if (array[i] is { } value)
                        Collect(value, child, slots);
                }

                break;
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Sending and checking.
    // ---------------------------------------------------------------------------------------------------------------

    private sealed record Outcome(int Status, string Text, int UpstreamCalls, string Logs);

    private static string Body(string route, string kind, string template) =>
        template.Replace("MODEL", RequestShapeFuzzFixture.Groups[kind]).Replace(Marker, $"fuzz-{Guid.NewGuid():N}");

    /// <summary>Sends one request (alternating replicas; requests are sequential, so the upstream calls counted are its own).</summary>
    private async Task<Outcome> SendAsync(string route, string body)
    {
        var before = fixture.Upstream.RequestCount;
        var logsBefore = fixture.Logs.Lines.Count;
        using var request = new HttpRequestMessage(HttpMethod.Post, route)
        {
            Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        if (route.StartsWith(Messages, StringComparison.Ordinal))
        {
            request.Headers.Add("x-api-key", fixture.Key);
            request.Headers.Add("anthropic-version", "2023-06-01");
        }
        else
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fixture.Key);
        }

        int status;
        string text;
        try
        {
            using var response = await fixture.NextClient().SendAsync(request, Ct);
            status = (int)response.StatusCode;
            text = await response.Content.ReadAsStringAsync(Ct);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            status = 599;
            text = $"(no answer: {e.GetType().Name}: {e.Message})";
        }

        var logs = fixture.Logs.Lines.Skip(logsBefore)
            .Where(line => line.StartsWith("Error", StringComparison.Ordinal) || line.StartsWith("Critical", StringComparison.Ordinal) || line.Contains("Exception", StringComparison.Ordinal))
            .Select(line => "  log: " + Shorten(line, 3000));
        return new Outcome(status, text, fixture.Upstream.RequestCount - before, string.Join("\n", logs));
    }

    /// <summary>Null when the outcome keeps the rule; else what is wrong.</summary>
    private static string? Check(string route, Outcome outcome)
    {
        if (outcome.Status >= 500)
            return $"got {outcome.Status} after {outcome.UpstreamCalls} upstream call(s): {Shorten(outcome.Text)}";
        if (outcome.Status is >= 200 and < 300)
            return null;
        if (outcome.Status < 400)
            return $"got {outcome.Status}: {Shorten(outcome.Text)}";
        var problems = new List<string>();
        if (outcome.UpstreamCalls > 0)
            problems.Add($"a {outcome.Status} after {outcome.UpstreamCalls} upstream call(s)");
        if (EnvelopeProblem(route, outcome.Text) is { } envelope)
            problems.Add(envelope);
        return problems.Count == 0 ? null : $"{string.Join("; ", problems)}: {Shorten(outcome.Text)}";
    }

    private static string? EnvelopeProblem(string route, string text)
    {
        JsonElement root;
        try
        {
            root = JsonDocument.Parse(text).RootElement;
        }
        catch (JsonException)
        {
            return "the error body is not JSON";
        }

        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.Object
            || !error.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.String || message.GetString() is not { Length: > 0 }
            || !error.TryGetProperty("type", out _))
            return "not the error envelope";
        var anthropic = route.StartsWith(Messages, StringComparison.Ordinal);
        var isAnthropic = root.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "error";
        if (anthropic && !isAnthropic)
            return "OpenAI's envelope on an Anthropic route";
        if (!anthropic && isAnthropic)
            return "Anthropic's envelope on an OpenAI route";
        return null;
    }

    /// <summary>A seed that is the same on every run (string.GetHashCode is randomized per process).</summary>
    private static int StableSeed(string route, string kind)
    {
        var seed = 17;
        foreach (var c in route + "|" + kind)
            seed = unchecked(seed * 31 + c);
        return seed & 0x7fffffff;
    }

    private static string Shorten(string text, int length = 600) => text.Length <= length ? text : text[..length] + "…";
}
