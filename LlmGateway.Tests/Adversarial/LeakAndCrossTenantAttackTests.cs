using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;
using LlmGateway.Tests.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static LlmGateway.Tests.Spend.SpendTestData;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// A hostile or careless client puts a recognisable marker (a secret, a prompt sentence) wherever the gateway might
/// repeat it — the model field, headers, a broken body, an upstream error that quotes the prompt, a provider that
/// echoes the gateway's own credential — and every log line (all levels), every table, every span and <c>/metrics</c>
/// and the management API's answers are searched for it. And one tenant tries to degrade another: its own bad requests
/// must not cool a deployment down, and its wrong keys must not lock another tenant out.
/// Content may reach only the opt-in content log and stored responses; a client's own error back to it is fine.
/// </summary>
public sealed class LeakAndCrossTenantAttackTests(TestServers servers)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // ---------------------------------------------------------------------------------------------------------------
    // Leaks
    // ---------------------------------------------------------------------------------------------------------------

    /// <summary>
    /// A provider's 5xx that quotes the request (vLLM and many OpenAI-compatible servers put the offending input in
    /// their message) is the client's own error, but it must not be kept: the alert sink already drops it ("a
    /// provider's message can quote the request"), yet the deployment state keeps it as <c>last_error</c> in Redis and
    /// <c>GET /model/info</c> shows it to anyone with the admin site. Fixed: the state keeps <c>RoutingErrors.Classify</c>
    /// (status and error type), never the message.
    /// </summary>
    [Theory]
    [InlineData(500)] // counted toward allowed_fails: NoteFailureAsync keeps last_error
    [InlineData(503)] // cools down at once: CoolDownAsync keeps cooldown_reason and last_error
    public async Task AProviderErrorQuotingThePromptIsNotKeptInDeploymentStateOrShownByModelInfo(int status)
    {
        await using var gateway = await LeakGateway.StartAsync(servers);
        var (_, keyA) = await gateway.TeamAndKeyAsync("tenant-a");
        var prompt = $"Draft the press release for our confidential merger with Initech PROMPTMARKER{gateway.Run}";
        gateway.Upstream.Enqueue(FakeResponse.Error(status, $"Could not process the input: '{prompt}'"));

        using var client = gateway.Api.CreateLoopbackClient();
        using var answer = await client.SendAsync(Chat(keyA, prompt), Ct);
        Assert.NotEqual(HttpStatusCode.OK, answer.StatusCode); // the client hears its own failure (its own text in it is fine)
        await gateway.WaitForRowAsync(answer);

        using var admin = gateway.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var modelInfo = await admin.GetStringAsync("/model/info", Ct);
        var problems = await gateway.WhereAsync($"PROMPTMARKER{gateway.Run}");
        if (modelInfo.Contains($"PROMPTMARKER{gateway.Run}", StringComparison.Ordinal))
        {
            problems.Add($"GET /model/info: {Excerpt(modelInfo, $"PROMPTMARKER{gateway.Run}")}");
        }

        Assert.True(problems.Count == 0,
            $"Tenant A's prompt, quoted by the provider's HTTP {status}, was kept outside the client's own answer:\n" + string.Join("\n", problems));
    }

    /// <summary>
    /// A provider's 401/403 is logged with the provider's text (Failover.cs) for the operator. Some servers echo the
    /// credential they were sent (a self-hosted OpenAI-compatible server, another gateway upstream), and a 403 is also how
    /// providers refuse content they flagged, quoting it: then the provider API key, or the prompt, was in the log. Fixed:
    /// the log line has the status and error type only.
    /// </summary>
    [Theory]
    [InlineData(401, "key")]
    [InlineData(403, "prompt")]
    public async Task AProviderRefusalIsLoggedWithoutTheProviderKeyOrThePromptItQuotes(int status, string quoted)
    {
        await using var gateway = await LeakGateway.StartAsync(servers);
        var (_, keyA) = await gateway.TeamAndKeyAsync("tenant-a");
        var prompt = $"Here is my medical history PROMPTMARKER{gateway.Run}";
        var marker = quoted == "key" ? gateway.ProviderKey : $"PROMPTMARKER{gateway.Run}";
        var message = quoted == "key"
            ? $"Incorrect API key provided: {gateway.ProviderKey}. You can find your API key in your account settings."
            : $"Your input was flagged by the moderation policy: \"{prompt}\"";
        gateway.Upstream.Enqueue(FakeResponse.Error(status, message));

        using var client = gateway.Api.CreateLoopbackClient();
        using var answer = await client.SendAsync(Chat(keyA, prompt), Ct);
        var body = await answer.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.BadGateway, answer.StatusCode);
        Assert.DoesNotContain(gateway.ProviderKey, body); // security.md: the client never gets the provider's text
        await gateway.WaitForRowAsync(answer);

        var problems = await gateway.WhereAsync(marker);
        Assert.True(problems.Count == 0,
            $"The provider's HTTP {status} quoting the {(quoted == "key" ? "gateway's provider API key" : "tenant's prompt")} reached:\n"
            + string.Join("\n", problems));
    }

    /// <summary>
    /// The model field is the client's free text. A 404 for an unknown model is answered before any limit (free and
    /// unthrottled), and its ledger row stores the field verbatim as <c>model_group</c> (cut at 512 characters only).
    /// A key pasted into the wrong SDK argument is then a raw virtual key in the spend ledger and in <c>/spend/logs</c>;
    /// a prompt pasted there is 512 characters of content in the ledger. Fixed: a 404 <c>model_not_found</c> row keeps no
    /// <c>model_group</c>.
    /// </summary>
    [Fact]
    public async Task AModelFieldHoldingAKeyOrAPromptIsNotStoredVerbatimInTheLedger()
    {
        await using var gateway = await LeakGateway.StartAsync(servers);
        var (_, keyA) = await gateway.TeamAndKeyAsync("tenant-a");
        using (var admin = gateway.Api.CreateLoopbackClient(GatewayApiHost.MasterKey))
        {
            await admin.GetStringAsync("/spend/logs", Ct); // the route exists
        }

        var (_, pastedKey) = await gateway.TeamAndKeyAsync("tenant-a-second"); // a real, valid virtual key, pasted as the model
        var longModel = $"PROMPTMARKER{gateway.Run} " + new string('x', 200_000);
        using var client = gateway.Api.CreateLoopbackClient();
        var problems = new List<string>();
        foreach (var model in new[] { pastedKey, longModel })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
            {
                Headers = { Authorization = new("Bearer", keyA) },
                Content = JsonContent.Create(new { model, messages = new[] { new { role = "user", content = "hi" } } }),
            };
            using var answer = await client.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
            await gateway.WaitForRowAsync(answer);
        }

        problems.AddRange((await gateway.WhereAsync(pastedKey)).Select(p => "the pasted virtual key: " + p));
        problems.AddRange((await gateway.WhereAsync($"PROMPTMARKER{gateway.Run}")).Select(p => "the prompt-like model name: " + p));
        using (var admin = gateway.Api.CreateLoopbackClient(GatewayApiHost.MasterKey))
        {
            var logs = await admin.GetStringAsync("/spend/logs", Ct);
            if (logs.Contains(pastedKey, StringComparison.Ordinal))
            {
                problems.Add("GET /spend/logs returns the raw virtual key: " + Excerpt(logs, pastedKey));
            }
        }

        Assert.True(problems.Count == 0, "A client-chosen model field was stored as it came:\n" + string.Join("\n", problems));
    }

    /// <summary>
    /// Markers in every other place a hostile client controls: a wrong key in each auth header, a key in the query
    /// string, an unparsable body, an invalid enum value, an invalid tool name, a non-token <c>x-request-id</c>,
    /// <c>metadata</c>, a wrong-typed field. None may reach a log line, a table, a span or <c>/metrics</c>.
    /// </summary>
    [Fact]
    public async Task HostileInputsLeaveNoMarkerInLogsTablesSpansOrMetrics()
    {
        await using var gateway = await LeakGateway.StartAsync(servers);
        var (_, key) = await gateway.TeamAndKeyAsync("tenant-a");
        var m = $"LEAKMARKER{gateway.Run}";
        using var client = gateway.Api.CreateLoopbackClient();
        var sent = new List<HttpResponseMessage>();

        async Task SendAsync(string what, string path, string? bearer, string body, params (string Name, string Value)[] headers)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path)
            {
                Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
            };
            if (bearer is not null)
            {
                request.Headers.Authorization = new("Bearer", bearer);
            }

            foreach (var (name, value) in headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            var response = await client.SendAsync(request, Ct);
            await response.Content.LoadIntoBufferAsync(Ct);
            Assert.True(response.StatusCode != HttpStatusCode.InternalServerError, $"{what}: 500 {await response.Content.ReadAsStringAsync(Ct)}");
            sent.Add(response);
        }

        const string ok = """{"model":"chat","messages":[{"role":"user","content":"hello"}]}""";
        await SendAsync("wrong bearer key", "/v1/chat/completions", $"sk-{m}-bearer", ok);
        await SendAsync("wrong x-api-key", "/v1/messages", null, """{"model":"chat","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}""",
            ("x-api-key", $"sk-{m}-xapikey"), ("anthropic-version", "2023-06-01"));
        await SendAsync("wrong api-key", "/v1/chat/completions", null, ok, ("api-key", $"sk-{m}-azure"));
        await SendAsync("key in the query", $"/v1/chat/completions?key=sk-{m}-query&api_key=sk-{m}-query", null, ok);
        await SendAsync("key in the query, valid header", $"/v1/chat/completions?api_key=sk-{m}-query2", key, ok);
        await SendAsync("unparsable body", "/v1/chat/completions", key, $$"""{"model":"chat","messages":[{"role":"user","content":"{{m}}-json""");
        await SendAsync("invalid role", "/v1/chat/completions", key, $$"""{"model":"chat","messages":[{"role":"{{m}}-role","content":"hi"}]}""");
        await SendAsync("invalid tool name", "/v1/chat/completions", key,
            $$"""{"model":"chat","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"{{m}} tool!","parameters":{"type":"object"} } }]}""");
        await SendAsync("wrong-typed field", "/v1/chat/completions", key,
            $$"""{"model":"chat","messages":[{"role":"user","content":"hi"}],"temperature":"{{m}}-temp"}""");
        await SendAsync("invalid response_format", "/v1/chat/completions", key,
            $$$"""{"model":"chat","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"{{{m}}}-format"}}""");
        await SendAsync("metadata and a non-token request id", "/v1/chat/completions", key,
            $$$"""{"model":"chat","messages":[{"role":"user","content":"hi"}],"metadata":{"note":"{{{m}}}-metadata"}}""",
            ("x-request-id", $"{m} request id with spaces"));
        await SendAsync("duplicate key", "/v1/chat/completions", key,
            $$"""{"model":"chat","messages":[{"role":"user","content":"{{m}}-dup"}],"messages":[]}""");
        await SendAsync("unknown previous_response_id", "/v1/responses", key, $$"""{"model":"chat","input":"hi","previous_response_id":"resp_{{m}}"}""");
        await SendAsync("last, a plain answer", "/v1/chat/completions", key, ok);

        foreach (var response in sent.Where(r => r.StatusCode != HttpStatusCode.Unauthorized))
        {
            await gateway.WaitForRowAsync(response);
        }

        var problems = await gateway.WhereAsync(m);
        foreach (var response in sent)
        {
            response.Dispose();
        }

        Assert.True(problems.Count == 0, "A hostile client's marker reached:\n" + string.Join("\n", problems));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Cross-tenant
    // ---------------------------------------------------------------------------------------------------------------

    /// <summary>
    /// The per-IP limit on refused keys answers 429 to every key the replica has not cached yet. Behind a load balancer
    /// every tenant has the same address, so one client sending wrong keys (no key of its own needed) locks every other
    /// tenant's fresh key out of that replica for the rest of the minute — a new key, or every key after a replica
    /// starts (a deploy, a scale-out), although the replica's directory knows those keys exist. Fixed: a hash the
    /// directory holds is looked up past the limit.
    /// </summary>
    [Fact]
    public async Task WrongKeysFromOneClientDoNotLockAnotherTenantsValidKeyOutOfAReplica()
    {
        await using var gateway = await LeakGateway.StartAsync(servers, withReplica: true, ("Gateway:Auth:FailuresPerIpPerMinute", "5"));
        var (_, keyB) = await gateway.TeamAndKeyAsync("tenant-b"); // made on the first replica, never used on the second
        await WaitForSecondsIntoMinuteBelowAsync(45); // flood and check within one fixed one-minute window

        using var attacker = gateway.Replica!.CreateLoopbackClient();
        for (var i = 0; i < 6; i++)
        {
            using var wrong = await attacker.SendAsync(Chat($"sk-wrong-{Guid.NewGuid():N}", "hi"), Ct);
            Assert.True(wrong.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests, $"wrong key: {wrong.StatusCode}");
        }

        using var tenantB = gateway.Replica.CreateLoopbackClient();
        using var b = await tenantB.SendAsync(Chat(keyB, "hello"), Ct);
        var text = await b.Content.ReadAsStringAsync(Ct);
        Assert.True(b.StatusCode == HttpStatusCode.OK,
            $"Tenant B's valid key was refused on the replica another client had sent 6 wrong keys to (same address): {(int)b.StatusCode} {text}");
    }

    /// <summary>
    /// Tenant A's own bad requests — provider 400s (bad tool schema), 413, 422 and context-length errors, many of
    /// them — must not cool the deployment down, mark it unhealthy or change what tenant B gets, on either replica.
    /// </summary>
    [Fact]
    public async Task TenantAsOwnRequestErrorsNeverTakeTheDeploymentFromTenantB()
    {
        await using var gateway = await LeakGateway.StartAsync(servers, withReplica: true);
        var (_, keyA) = await gateway.TeamAndKeyAsync("tenant-a");
        var (_, keyB) = await gateway.TeamAndKeyAsync("tenant-b");
        gateway.Upstream.PingResponse = FakeResponse.Ok;
        using var a = gateway.Api.CreateLoopbackClient();
        foreach (var (status, message) in new[]
                 {
                     (400, "Invalid schema for function 'x': 'object' is not valid"), (413, "Request entity too large"),
                     (422, "Unprocessable entity"), (400, "This model's maximum context length is 8192 tokens"),
                     (400, "Invalid schema for function 'y'"), (413, "Request entity too large"),
                 })
        {
            gateway.Upstream.Enqueue(FakeResponse.Error(status, message));
            using var refused = await a.SendAsync(Chat(keyA, "hi"), Ct);
            Assert.True((int)refused.StatusCode is >= 400 and < 500, $"A's {status}: got {(int)refused.StatusCode}");
        }

        foreach (var host in new[] { gateway.Api, gateway.Replica! })
        {
            using var b = await host.CreateLoopbackClient().SendAsync(Chat(keyB, "hello"), Ct);
            Assert.True(b.StatusCode == HttpStatusCode.OK, $"B after A's own errors: {(int)b.StatusCode} {await b.Content.ReadAsStringAsync(Ct)}");
        }

        using var admin = gateway.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var info = JsonDocument.Parse(await admin.GetStringAsync("/model/info", Ct)).RootElement;
        var health = info.GetProperty("data")[0].GetProperty("model_info").GetProperty("health");
        Assert.Equal("healthy", health.GetProperty("state").GetString());
    }

    /// <summary>
    /// A non-streamed request sends no headers until the whole answer is written, so tenant A alone decides how long
    /// the provider stays silent (a large <c>max_tokens</c>, a long document to rewrite). Such a request timing out is
    /// its own size, not the deployment's health, yet a timeout with nothing received counts toward
    /// <c>allowed_fails</c>: three of A's long generations cooled the deployment down for every tenant. Fixed: a non-streamed
    /// request whose output limit outlasts the timeout (<c>UpstreamSender.MayOutlastTimeout</c>) is judged by the gateway's
    /// own ping of the deployment, which a busy provider answers at once: the request's failure, nothing counted.
    /// </summary>
    [Fact]
    public async Task TenantAsOwnLongNonStreamedGenerationsDoNotCoolTheDeploymentDownForTenantB()
    {
        await using var gateway = await LeakGateway.StartAsync(servers, withReplica: false, deploymentLines: "timeout: 1",
            settings: "litellm_settings:\n  allowed_fails: 3\n  cooldown_time: 30\n  num_retries: 0\n");
        var (_, keyA) = await gateway.TeamAndKeyAsync("tenant-a");
        var (_, keyB) = await gateway.TeamAndKeyAsync("tenant-b");
        gateway.Upstream.PingResponse = FakeResponse.Ok;
        using var a = gateway.Api.CreateLoopbackClient();
        for (var i = 0; i < 3; i++)
        {
            // The provider is busy writing A's 32,000-token answer: no headers before the deployment's 1 s timeout.
            gateway.Upstream.Enqueue(FakeResponse.Ok with { DelayBeforeHeaders = TimeSpan.FromSeconds(3) });
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
            {
                Headers = { Authorization = new("Bearer", keyA) },
                Content = JsonContent.Create(new
                {
                    model = "chat", max_tokens = 32000,
                    messages = new[] { new { role = "user", content = "Rewrite this whole book chapter by chapter." } },
                }),
            };
            using var slow = await a.SendAsync(request, Ct);
            Assert.NotEqual(HttpStatusCode.OK, slow.StatusCode);
        }

        using var admin = gateway.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var info = await admin.GetStringAsync("/model/info", Ct);
        var state = JsonDocument.Parse(info).RootElement.GetProperty("data")[0].GetProperty("model_info").GetProperty("health").GetProperty("state").GetString();
        // Tenant B's ordinary traffic, three requests at once (the first answer takes half a second).
        gateway.Upstream.Enqueue(FakeResponse.Ok with { DelayBeforeHeaders = TimeSpan.FromMilliseconds(500) });
        using var bClient = gateway.Api.CreateLoopbackClient();
        var answers = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => bClient.SendAsync(Chat(keyB, "hello"), Ct)));
        var statuses = answers.Select(r => (int)r.StatusCode).ToArray();
        foreach (var answer in answers)
        {
            answer.Dispose();
        }

        Assert.True(state == "healthy" && statuses.All(s => s == 200),
            $"After tenant A's three long non-streamed generations timed out, the only deployment is '{state}' for every tenant; "
            + $"tenant B's three concurrent requests got {string.Join(", ", statuses)}.");
    }

    /// <summary>What a virtual key can list: only its own models, never another team's group, alias or spend.</summary>
    [Fact]
    public async Task AKeyListsOnlyItsOwnModelsAndNoOtherTeamsSpend()
    {
        await using var gateway = await LeakGateway.StartAsync(servers, extraModels: "secretgroup");
        var (_, keyA) = await gateway.TeamAndKeyAsync("tenant-a", new { models = new[] { "chat" } });
        var (teamB, keyB) = await gateway.TeamAndKeyAsync($"tenant-b-secret-{gateway.Run}", new { models = new[] { "secretgroup" } });
        using (var b = await gateway.Api.CreateLoopbackClient().SendAsync(Chat(keyB, "hello", "secretgroup"), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, b.StatusCode);
        }

        using var client = gateway.Api.CreateLoopbackClient(keyA);
        var seen = new List<string>();
        foreach (var path in new[] { "/v1/models", "/model_group/info", "/models" })
        {
            using var response = await client.GetAsync(path, Ct);
            seen.Add($"{path} {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(Ct)}");
        }

        using (var answer = await client.SendAsync(Chat(keyA, "hello"), Ct))
        {
            seen.Add("headers: " + string.Join("; ", answer.Headers.Select(h => $"{h.Key}={string.Join(",", h.Value)}")));
        }

        foreach (var path in new[] { "/model/info", "/spend/logs", "/global/spend", "/team/list", "/key/list", "/health" })
        {
            using var response = await client.GetAsync(path, Ct);
            Assert.True(response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized or HttpStatusCode.NotFound,
                $"{path} with a virtual key: {(int)response.StatusCode}");
            seen.Add($"{path} {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(Ct)}");
        }

        var leaked = seen.Where(s => s.Contains("secretgroup", StringComparison.Ordinal) || s.Contains(teamB, StringComparison.Ordinal)
            || s.Contains($"tenant-b-secret-{gateway.Run}", StringComparison.Ordinal) || s.Contains(keyB[..12], StringComparison.Ordinal)).ToList();
        Assert.True(leaked.Count == 0, "Tenant A learned about tenant B:\n" + string.Join("\n", leaked));
    }

    // ---------------------------------------------------------------------------------------------------------------

    private static HttpRequestMessage Chat(string key, string content, string model = "chat") =>
        new(HttpMethod.Post, "/v1/chat/completions")
        {
            Headers = { Authorization = new("Bearer", key) },
            Content = JsonContent.Create(new { model, messages = new[] { new { role = "user", content } } }),
        };

    private static async Task WaitForSecondsIntoMinuteBelowAsync(int seconds)
    {
        await LocalProcess.WaitUntilAsync(() => Task.FromResult(DateTimeOffset.UtcNow.Second < seconds), TimeSpan.FromSeconds(20),
            $"fewer than {seconds} s into the minute");
    }

    private static string Excerpt(string text, string marker)
    {
        var at = text.IndexOf(marker, StringComparison.Ordinal);
        var start = Math.Max(0, at - 150);
        return text.Substring(start, Math.Min(text.Length - start, marker.Length + 300));
    }

    /// <summary>
    /// One fake OpenAI upstream (group "chat", deployment id dep-RUN, provider key sk-PROVIDERKEY-RUN), a fresh database
    /// and Redis, one Api (two with <c>withReplica</c>) logging at Debug into a capture with every span recorded.
    /// </summary>
    private sealed class LeakGateway : IAsyncDisposable
    {
        private readonly List<GatewayApiHost> hosts = [];
        private GatewayConfigFile config = null!;

        public string Run { get; } = Guid.NewGuid().ToString("N")[..10];
        public string ProviderKey => $"sk-PROVIDERKEY-{Run}";
        public FakeProviderServer Upstream { get; private set; } = null!;
        public TelemetryCapture Capture { get; } = new();
        public string Database { get; private set; } = "";
        public GatewayApiHost Api { get; private set; } = null!;
        public GatewayApiHost? Replica { get; private set; }

        public static async Task<LeakGateway> StartAsync(TestServers servers, bool withReplica = false, params (string Key, string? Value)[] more) =>
            await StartAsync(servers, withReplica, extraModels: null, "", "", more);

        public static async Task<LeakGateway> StartAsync(TestServers servers, string extraModels) =>
            await StartAsync(servers, false, extraModels, "", "", []);

        public static async Task<LeakGateway> StartAsync(TestServers servers, bool withReplica, string deploymentLines, string settings) =>
            await StartAsync(servers, withReplica, null, deploymentLines, settings, []);

        private static async Task<LeakGateway> StartAsync(
            TestServers servers, bool withReplica, string? extraModels, string deploymentLines, string yamlSettings, (string Key, string? Value)[] more)
        {
            var gateway = new LeakGateway { Upstream = await FakeProviderServer.StartAsync(Ct) };
            var extra = extraModels is null ? "" : $"""
                  - model_name: "{extraModels}"
                    litellm_params:
                      model: "openai/model-secret"
                      api_key: "{gateway.ProviderKey}"
                      api_base: "{gateway.Upstream.OpenAiBase}"
                    model_info:
                      id: "secret-{gateway.Run}"

                """;
            gateway.config = new GatewayConfigFile($"""
                model_list:
                  - model_name: "chat"
                    litellm_params:
                      model: "openai/model-chat"
                      api_key: "{gateway.ProviderKey}"
                      api_base: "{gateway.Upstream.OpenAiBase}"
                      {deploymentLines}
                    model_info:
                      id: "dep-{gateway.Run}"
                      input_cost_per_token: 0.000001
                      output_cost_per_token: 0.000002
                {extra}
                general_settings:
                  health_check_interval: 86400
                {yamlSettings}
                """);
            gateway.Database = await servers.CreateDatabaseAsync();
            var redis = await servers.CreateRedisAsync();
            var settings = new Dictionary<string, string?>(gateway.config.Settings(
            [
                ("Logging:LogLevel:Default", "Debug"),
                ("Logging:LogLevel:Microsoft.EntityFrameworkCore", "Debug"),
                ("Gateway:Spend:PollInterval", "00:00:00.050"),
                ("Gateway:Metrics:TeamLabels", "true"),
                .. more,
            ]));
            gateway.Api = await GatewayApiHost.StartAsync(gateway.Database, redis, settings);
            gateway.hosts.Add(gateway.Api);
            gateway.Api.Services.GetRequiredService<ILoggerFactory>().AddProvider(gateway.Capture);
            if (withReplica)
            {
                gateway.Replica = await GatewayApiHost.StartAsync(gateway.Database, redis, settings);
                gateway.hosts.Add(gateway.Replica);
                gateway.Replica.Services.GetRequiredService<ILoggerFactory>().AddProvider(gateway.Capture);
            }

            return gateway;
        }

        public async Task<(string TeamId, string Key)> TeamAndKeyAsync(string alias, object? key = null)
        {
            using var admin = Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
            return await ManagementCalls.CreateTeamAndKeyAsync(admin, new { team_alias = alias }, key, Ct);
        }

        /// <summary>Waits for the ledger row of the request that got <paramref name="response"/>.</summary>
        public async Task WaitForRowAsync(HttpResponseMessage response)
        {
            var id = response.Headers.TryGetValues("x-gateway-request-id", out var own) ? own.First()
                : response.Headers.TryGetValues("x-request-id", out var values) ? values.First()
                : throw new InvalidOperationException($"no request id on a {(int)response.StatusCode}");
            await TelemetryGateway.WaitForRowAsync(Database, id, TimeSpan.FromSeconds(15));
        }

        /// <summary>Every place <paramref name="marker"/> turned up: log lines, tables, span text, <c>/metrics</c>.</summary>
        public async Task<List<string>> WhereAsync(string marker)
        {
            var found = new List<string>();
            found.AddRange(Capture.Logs.Where(l => l.Contains(marker, StringComparison.Ordinal)).Select(l => "log: " + Excerpt(l, marker)));
            found.AddRange((await TelemetryExportTests.RowsContainingAsync(Database, marker)).Select(t => $"table {t}"));
            found.AddRange(Capture.SpanText().Where(t => t.Contains(marker, StringComparison.Ordinal)).Distinct().Select(t => "span: " + Excerpt(t, marker)));
            foreach (var host in hosts)
            {
                using var scrape = await host.CreateLoopbackClient().GetAsync("/metrics", Ct);
                var metrics = await scrape.Content.ReadAsStringAsync(Ct);
                if (metrics.Contains(marker, StringComparison.Ordinal))
                {
                    found.Add("/metrics: " + Excerpt(metrics, marker));
                }
            }

            return found;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }

            await Upstream.DisposeAsync();
            config.Dispose();
            Capture.Dispose();
        }
    }
}
