using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// Attack: the request-body fields and headers LiteLLM Proxy honours per request — <c>api_base</c>, <c>api_key</c>,
/// <c>mock_response</c>, custom prices, <c>num_retries</c>, <c>timeout</c>, <c>fallbacks</c>, <c>metadata.user_api_key_*</c>,
/// <c>team_id</c>, <c>x-litellm-*</c>, <c>openai-organization</c>… — sent by a teammate who wants more budget, another
/// team's resources or the provider's key. For each: is it refused, dropped, honoured, or forwarded as sent, and does that
/// let the client point the gateway elsewhere, be charged less than the provider bills, spend on someone else's budget,
/// or make the upstream do work its reservation does not cover.
/// </summary>
/// <remarks>
/// Each test writes its own config (two replicas, <see cref="AdversarialTestBase"/>): <see cref="RoutingTestBase.Primary"/>
/// and <see cref="RoutingTestBase.Backup"/> are fake providers that record every request they get.
/// </remarks>
public sealed class LitellmFieldAttackTests(TestServers servers) : AdversarialTestBase(servers)
{
    private const decimal InputRate = 0.000001m;
    private const decimal OutputRate = 0.0001m;
    private const string ProviderKey = "sk-fake-provider-key";

    // ---------------------------------------------------------------------------------------------------------------
    // Holes: these fail today.
    // ---------------------------------------------------------------------------------------------------------------

    /// <summary>
    /// A deployment's <c>litellm_params.max_tokens</c> is the ceiling the gateway "clamps max_tokens to upstream", so the
    /// reservation takes min(request, ceiling) output tokens (<c>CostEstimator.OutputCeiling</c>). Chat completions, legacy
    /// completions and Messages clamp it (<c>BodyRewriter.Options.MaxTokensCeiling</c>); a <c>/v1/responses</c> request passed
    /// through to an OpenAI deployment did not (no ceiling set, and <c>BodyRewriter</c> knew only
    /// <c>max_tokens</c>/<c>max_completion_tokens</c>): <c>max_output_tokens: 50000</c> — or none at all — reached the
    /// provider as sent, while 100 output tokens ($0.01) were reserved (measured: $0.50 charged on a $0.05 budget). Fixed:
    /// the Responses route clamps <c>max_output_tokens</c> and sends the ceiling when the client sent none.
    /// </summary>
    [Theory]
    [InlineData(",\"max_output_tokens\":50000")]
    [InlineData("")]
    public async Task AResponsesPassThroughIsHeldToTheDeploymentsMaxTokensLikeEveryOtherRoute(string maxOutputTokens)
    {
        var host = await StartApiAsync(Config(Deployment("gpt", "openai/gpt-4.1", Primary, ["max_tokens: 100"],
            [$"input_cost_per_token: {InputRate}", $"output_cost_per_token: {OutputRate}"])));
        var (teamId, key) = await TeamAndKeyAsync(host, new { team_alias = "responses-ceiling" }, new { max_budget = 0.05 });
        var marker = Guid.NewGuid().ToString("N");
        // What a provider told "up to 50,000 tokens" may write: 5,000 of them is $0.50, ten times the key's budget.
        Primary.Enqueue(FakeResponse.Ok with { CompletionTokens = 5000 });

        using var response = await PostAsync(host, key, "/v1/responses", $$"""{"model":"gpt","input":"{{marker}}"{{maxOutputTokens}}}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sent = Assert.Single(Primary.Requests, r => r.Body.Contains(marker));
        Assert.Equal("/v1/responses", sent.Path);
        var upstreamLimit = LongOf(sent.Json?["max_output_tokens"]);
        var spend = await TeamSpendWhenSettledAsync(host, teamId);
        Assert.True(upstreamLimit is > 0 and <= 100,
            $"the deployment's max_tokens is 100 and 100 output tokens were reserved, but the provider was sent max_output_tokens = " +
            $"{upstreamLimit?.ToString() ?? "(none: unbounded)"}; the team was then charged ${spend} on a $0.05 budget.");
    }

    public static TheoryData<string, string, string> PremiumThroughAFallback => new()
    {
        // OpenAI's priority tier, allowed on "premium-ok" only.
        { "/v1/chat/completions", "openai/gpt-4.1",
            """{"model":"premium-ok","fallbacks":["plain"],"service_tier":"priority","max_tokens":10,"messages":[{"role":"user","content":"MARK"}]}""" },
        // Anthropic's code execution: its container fees are never priced nor reserved, so allowed_premium is the only guard.
        { "/v1/messages", "anthropic/claude-sonnet-4-5-20250929",
            """{"model":"premium-ok","fallbacks":["plain"],"max_tokens":10,"tools":[{"type":"code_execution_20250522","name":"code_execution"}],"messages":[{"role":"user","content":"MARK"}]}""" },
    };

    /// <summary>
    /// A premium feature (<c>service_tier: "priority"</c>, a hosted tool, <c>context-1m</c>) is refused "unless every deployment
    /// of the model group lists it in <c>model_info.allowed_premium</c>" — but only the requested group was checked
    /// (<c>PremiumFeatures.Refusal(group, …)</c> before admission); the groups of the request's own <c>fallbacks</c>
    /// (LiteLLM's per-request field) were tried with the body as it is. So a client asked an allowing group that is failing
    /// (cooling down, at its rpm, overloaded) and named the group it wanted the feature on as its fallback. Fixed: a fallback
    /// that does not allow the feature is skipped like one outside the key's models (<c>RouteRequest.MayFallBackTo</c>).
    /// </summary>
    [Theory]
    [MemberData(nameof(PremiumThroughAFallback))]
    public async Task APremiumFeatureAllowedOnTheRequestedGroupNeverReachesAFallbackThatDoesNotAllowIt(string path, string model, string body)
    {
        var prices = new[] { $"input_cost_per_token: {InputRate}", $"output_cost_per_token: {OutputRate}" };
        var host = await StartApiAsync(Config(
            Deployment("premium-ok", model, Primary, [], [.. prices, "allowed_premium: [\"service_tier\", \"code_execution\"]"])
            + Deployment("plain", model, Backup, [], prices)));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "premium-fallback" });
        var marker = Guid.NewGuid().ToString("N");
        Primary.Default = FakeResponse.Error(503, "Overloaded");

        using var response = await SendAsync(host, key, path, body.Replace("MARK", marker), anthropic: path == "/v1/messages");

        var text = await response.Content.ReadAsStringAsync(Timeout);
        var reachedPlain = Backup.Requests.Count(r => r.Body.Contains(marker));
        Assert.True(reachedPlain == 0,
            $"{path}: 'plain' does not allow the premium feature, yet the request's own fallbacks sent it there ({reachedPlain} call(s)); " +
            $"answer {(int)response.StatusCode}: {Shorten(text)}");
    }

    /// <summary>
    /// The same through a group that does not run the tool at all: with <c>drop_params: true</c> (the blueprint's config) a
    /// Messages request's hosted tool is not premium on an OpenAI deployment (it is translated away, <c>RunsHostedTools</c>),
    /// so nothing is refused; when that group fails, the request's <c>fallbacks</c> send the raw body — hosted tool
    /// included — to an Anthropic group where no deployment lists it in <c>allowed_premium</c>. No config allowed the
    /// feature anywhere, and Anthropic ran (and billed) it. Fixed as above: the fallback is skipped.
    /// </summary>
    [Fact]
    public async Task AHostedToolDroppedByTheRequestedGroupIsNotRunByAFallbackThatDoesNotAllowIt()
    {
        var prices = new[] { $"input_cost_per_token: {InputRate}", $"output_cost_per_token: {OutputRate}" };
        var host = await StartApiAsync(Config(
            Deployment("gpt", "openai/gpt-4.1", Primary, [], prices) + Deployment("claude", "anthropic/claude-sonnet-4-5-20250929", Backup, [], prices),
            "litellm_settings:\n  drop_params: true"));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "dropped-then-run" });
        var marker = Guid.NewGuid().ToString("N");
        Primary.Default = FakeResponse.Error(503, "Overloaded");

        using var response = await SendAsync(host, key, "/v1/messages", $$"""
            {"model":"gpt","fallbacks":["claude"],"max_tokens":10,"tools":[{"type":"code_execution_20250522","name":"code_execution"}],
             "messages":[{"role":"user","content":"{{marker}}"}]}
            """, anthropic: true);

        var text = await response.Content.ReadAsStringAsync(Timeout);
        var ran = Backup.Requests.Count(r => r.Body.Contains(marker) && r.Body.Contains("code_execution"));
        Assert.True(ran == 0,
            $"no deployment allows code_execution, yet the fallback 'claude' was sent it ({ran} call(s)); answer {(int)response.StatusCode}: {Shorten(text)}");
    }

    /// <summary>
    /// Under a customer budget (the end user named by <c>user</c>, <c>x-litellm-end-user-id</c> or the team's
    /// <c>x-gateway-end-user</c>) a deployment with no known price is refused (403 <c>price_unknown</c>, the default
    /// <c>Gateway:Pricing:UnknownPrice: refuse</c>): it would cost the customer's budget $0 however much it is used. The
    /// admission checks the customer's budget (<c>ProxyPipeline.AdmitAsync</c>), but the check a fallback's deployment gets
    /// (<c>UpstreamCall.PricedOnly</c> ← <c>Accepted.PricedOnly</c>) counted the key's and the tags' budgets only. So the
    /// same unpriced group, named in the request's <c>fallbacks</c> behind a failing priced group, served the end user at $0.
    /// Fixed: <c>PricedOnly</c> counts the customer's budget too.
    /// </summary>
    [Fact]
    public async Task AnUnpricedFallbackIsRefusedUnderACustomerBudgetLikeTheSameGroupAskedDirectly()
    {
        var host = await StartApiAsync(Config(
            Deployment("chat", "openai/gpt-4.1", Primary, [], [$"input_cost_per_token: {InputRate}", $"output_cost_per_token: {OutputRate}"])
            + Deployment("free", "openai/in-house-model", Backup, [], ["mode: chat"])));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "customer-budget" });
        using (var admin = Client(host))
        {
            await ManagementCalls.PostOkAsync(admin, "/customer/new", new { user_id = "dev-1", max_budget = 0.05 });
        }

        var direct = Guid.NewGuid().ToString("N");
        using var refused = await PostAsync(host, key, "/v1/chat/completions",
            $$"""{"model":"free","user":"dev-1","max_tokens":10,"messages":[{"role":"user","content":"{{direct}}"}]}""");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("price_unknown", await refused.Content.ReadAsStringAsync(Timeout));

        var marker = Guid.NewGuid().ToString("N");
        Primary.Default = FakeResponse.Error(503, "Overloaded");
        using var response = await PostAsync(host, key, "/v1/chat/completions",
            $$"""{"model":"chat","fallbacks":["free"],"user":"dev-1","max_tokens":10,"messages":[{"role":"user","content":"{{marker}}"}]}""");

        var text = await response.Content.ReadAsStringAsync(Timeout);
        var served = Backup.Requests.Count(r => r.Body.Contains(marker));
        Assert.True(served == 0,
            $"customer 'dev-1' has a budget and 'free' has no price, yet the request's own fallbacks were served by it ({served} call(s), " +
            $"answer {(int)response.StatusCode}, cost {Header(response, "x-gateway-cost-usd") ?? "-"}): {Shorten(text)}");
    }

    /// <summary>
    /// A key's <c>model_rpm_limit</c> / <c>model_tpm_limit</c> hold it to N requests a minute on one model group — but the
    /// per-model scope is built for the requested group only (<c>LimitsGate.ScopesFor(key, accepted.Group.Name)</c>), so the
    /// limited group, reached as the request's own <c>fallbacks</c> behind a failing (or rpm-saturated) group, was served
    /// without counting. One request a minute on <c>premium</c>: the second is a 429 when asked directly, and was served (and
    /// served again) through <c>"fallbacks": ["premium"]</c>. Fixed: a group on which the key has a per-model limit is never
    /// a fallback (skipped, named in <c>x-gateway-skipped-fallbacks</c>): the admission counted the requested group only.
    /// </summary>
    [Fact]
    public async Task APerModelRateLimitHoldsWhenTheModelIsReachedAsARequestFallback()
    {
        var prices = new[] { $"input_cost_per_token: {InputRate}", $"output_cost_per_token: {OutputRate}" };
        var host = await StartApiAsync(Config(Deployment("chat", "openai/gpt-4.1", Primary, [], prices) + Deployment("premium", "openai/gpt-4.1", Backup, [], prices)));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "model-rpm" }, new { model_rpm_limit = new Dictionary<string, int> { ["premium"] = 1 } });

        using var first = await ChatAsync(host, key, "\"max_tokens\":10");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode); // "chat" answers; now "premium" once:
        using var premium = await PostAsync(host, key, "/v1/chat/completions", """{"model":"premium","max_tokens":10,"messages":[{"role":"user","content":"one"}]}""");
        using var again = await PostAsync(host, key, "/v1/chat/completions", """{"model":"premium","max_tokens":10,"messages":[{"role":"user","content":"two"}]}""");
        Assert.Equal(HttpStatusCode.OK, premium.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, again.StatusCode);
        var premiumCalls = Backup.RequestCount;

        Primary.Default = FakeResponse.Error(503, "Overloaded");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var viaFallback = await PostAsync(host, key, "/v1/chat/completions",
                """{"model":"chat","fallbacks":["premium"],"max_tokens":10,"messages":[{"role":"user","content":"three"}]}""");
            statuses.Add(viaFallback.StatusCode);
        }

        var extra = Backup.RequestCount - premiumCalls;
        Assert.True(extra == 0,
            $"model_rpm_limit premium = 1 was used up, yet {extra} more request(s) reached 'premium' this minute as a fallback (answers: {string.Join(", ", statuses.Select(s => (int)s))})");
    }

    public static TheoryData<string, string> NullOutputLimits => new()
    {
        { "/v1/chat/completions", """{"model":"chat","max_tokens":null,"messages":[{"role":"user","content":"MARK"}]}""" },
        { "/v1/chat/completions", """{"model":"chat","max_completion_tokens":null,"messages":[{"role":"user","content":"MARK"}]}""" },
        { "/v1/completions", """{"model":"chat","max_tokens":null,"prompt":"MARK"}""" },
    };

    /// <summary>
    /// <c>"max_tokens": null</c> is what several clients send for "no limit" (LangChain, LiteLLM's own SDK when unset), and
    /// the gateway's validation accepts it as absent (<c>BodyField.TryInteger</c>). But on a deployment with
    /// <c>litellm_params.max_tokens</c> — every deployment of the blueprint's config — <c>BodyRewriter.WriteProperty</c> called
    /// <c>Utf8JsonReader.TryGetInt64</c> on the null token, which throws: a 500 for a valid request. Fixed: a null limit is
    /// sent as the ceiling.
    /// </summary>
    [Theory]
    [MemberData(nameof(NullOutputLimits))]
    public async Task ANullOutputLimitOnADeploymentWithACeilingIsServedNotA500(string path, string body)
    {
        var host = await StartApiAsync(Config(Deployment("chat", "openai/gpt-4.1", Primary, ["max_tokens: 100"],
            [$"input_cost_per_token: {InputRate}", $"output_cost_per_token: {OutputRate}"])));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "null-max-tokens" }, new { max_budget = 5 });
        var marker = Guid.NewGuid().ToString("N");

        using var response = await PostAsync(host, key, path, body.Replace("MARK", marker));

        var text = await response.Content.ReadAsStringAsync(Timeout);
        Assert.True((int)response.StatusCode < 500, $"{path} {body}: expected 200 (or a 4xx naming the field), got {(int)response.StatusCode}: {Shorten(text)}");
        if (response.StatusCode == HttpStatusCode.OK)
        {
            var sent = Assert.Single(Primary.Requests, r => r.Body.Contains(marker));
            var limit = LongOf(sent.Json?["max_tokens"]) ?? LongOf(sent.Json?["max_completion_tokens"]);
            Assert.True(limit is > 0 and <= 100, $"the upstream got no ceiling: {sent.Body}");
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Checked and safe: regression guards.
    // ---------------------------------------------------------------------------------------------------------------

    public static TheoryData<string, string> ProviderOverrides => new()
    {
        { "/v1/chat/completions", "api_base" },
        { "/v1/chat/completions", "base_url" },
        { "/v1/chat/completions", "api_key" },
        { "/v1/chat/completions", "api_version" },
        { "/v1/chat/completions", "azure_ad_token" },
        { "/v1/chat/completions", "\\u0061pi_base" },
        { "/v1/messages", "api_base" },
        { "/v1/responses", "base_url" },
        { "/v1/embeddings", "api_base" },
        { "/v1/completions", "api_key" },
    };

    /// <summary>
    /// LiteLLM lets a request name its own <c>api_base</c>/<c>api_key</c> (where allowed): an SSRF that sends the provider key
    /// wherever the client says. The gateway refuses them (400 naming the field, also written with an escape) before any
    /// upstream call; the client's URL (another fake here) is never called.
    /// </summary>
    [Theory]
    [MemberData(nameof(ProviderOverrides))]
    public async Task AProviderOverrideFieldIsRefusedAndNothingIsCalled(string path, string field)
    {
        var host = await StartApiAsync(Config(
            Deployment("chat", "openai/gpt-4.1", Primary, [], [$"input_cost_per_token: {InputRate}", $"output_cost_per_token: {OutputRate}"])));
        var (teamId, key) = await TeamAndKeyAsync(host, new { team_alias = "overrides" }, new { max_budget = 5 });
        var marker = Guid.NewGuid().ToString("N");
        var value = JsonSerializer.Serialize(field.Contains("api_base") || field == "base_url" ? Backup.OpenAiBase.ToString() : "sk-client-chosen");
        var body = path switch
        {
            "/v1/messages" => $$"""{"model":"chat","max_tokens":10,"{{field}}":{{value}},"messages":[{"role":"user","content":"{{marker}}"}]}""",
            "/v1/responses" => $$"""{"model":"chat","{{field}}":{{value}},"input":"{{marker}}"}""",
            "/v1/embeddings" => $$"""{"model":"chat","{{field}}":{{value}},"input":"{{marker}}"}""",
            "/v1/completions" => $$"""{"model":"chat","{{field}}":{{value}},"prompt":"{{marker}}"}""",
            _ => $$"""{"model":"chat","max_tokens":10,"{{field}}":{{value}},"messages":[{"role":"user","content":"{{marker}}"}]}""",
        };

        using var response = await SendAsync(host, key, path, body, anthropic: path == "/v1/messages");

        var text = await response.Content.ReadAsStringAsync(Timeout);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{path} {field}: expected 400, got {(int)response.StatusCode}: {Shorten(text)}");
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
        var named = field.Replace("\\u0061", "a");
        if (path == "/v1/messages")
        {
            Assert.Contains($"'{named}'", error.GetProperty("message").GetString()); // Anthropic's envelope has no param
        }
        else
        {
            Assert.Equal(named, error.GetProperty("param").GetString());
        }

        Assert.Equal(0, Primary.RequestCount + Backup.RequestCount);
        Assert.Equal(0m, await TeamSpendAsync(host, teamId));
    }

    /// <summary>
    /// LiteLLM accepted per-request prices (<c>input_cost_per_token</c>…), and its <c>mock_response</c> answers without a
    /// provider call. Here prices come from the config only, and <c>mock_response</c> on a real deployment is dropped: the
    /// provider is called, gets neither the prices nor the mock, and the request is charged at the configured rates.
    /// </summary>
    [Fact]
    public async Task ClientPricesAndAMockResponseToARealDeploymentAreChargedAtTheConfiguredRates()
    {
        var host = await StartApiAsync(Config(
            Deployment("chat", "openai/gpt-4.1", Primary, [], [$"input_cost_per_token: {InputRate}", $"output_cost_per_token: {OutputRate}"])));
        var (teamId, key) = await TeamAndKeyAsync(host, new { team_alias = "client-prices" }, new { max_budget = 5 });
        var marker = Guid.NewGuid().ToString("N");
        Primary.Enqueue(FakeResponse.Ok with { PromptTokens = 40, CompletionTokens = 60 });

        using var response = await ChatAsync(host, key,
            """
            "max_tokens":100,"mock_response":"free answer","input_cost_per_token":0,"output_cost_per_token":0,"input_cost_per_second":0,
            "output_cost_per_second":0,"custom_llm_provider":"mock","metadata":{"model_info":{"input_cost_per_token":0},"spend":0},
            "litellm_metadata":{"tags":["free"]},"mock_testing_fallbacks":true
            """, $"\"{marker}\"");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sent = Assert.Single(Primary.Requests, r => r.Body.Contains(marker));
        Assert.Null(sent.Json?["mock_response"]);
        Assert.Null(sent.Json?["metadata"]);
        Assert.Null(sent.Json?["litellm_metadata"]);
        Assert.DoesNotContain("free answer", await response.Content.ReadAsStringAsync(Timeout));
        const decimal Cost = 40 * InputRate + 60 * OutputRate;
        Assert.Equal(Cost, decimal.Parse(Header(response, "x-gateway-cost-usd")!, System.Globalization.CultureInfo.InvariantCulture));
        var row = Assert.Single(await LedgerRowsAsync(host, key));
        Assert.Equal(Cost, row.GetProperty("spend").GetDecimal());
        Assert.Equal(Cost, await TeamSpendWhenSettledAsync(host, teamId));
    }

    /// <summary>
    /// Who is charged is the authenticated key's (team's, user's) business only: LiteLLM's <c>team_id</c>, <c>user_api_key_*</c>
    /// in <c>metadata</c>/<c>litellm_metadata</c>, <c>max_budget</c>, a second key in <c>x-litellm-api-key</c>/<c>x-goog-api-key</c>
    /// move nothing. The other team is charged $0 and its budget stays whole.
    /// </summary>
    [Fact]
    public async Task IdentityAndBudgetFieldsInTheBodyChargeOnlyTheAuthenticatedKey()
    {
        var host = await StartApiAsync(Config(
            Deployment("chat", "openai/gpt-4.1", Primary, [], [$"input_cost_per_token: {InputRate}", $"output_cost_per_token: {OutputRate}"])));
        var (ownTeam, key) = await TeamAndKeyAsync(host, new { team_alias = "own-team" }, new { max_budget = 5 });
        var (otherTeam, otherKey) = await TeamAndKeyAsync(host, new { team_alias = "other-team", max_budget = 5 });
        var fields = $$"""
            "max_tokens":100,"team_id":"{{otherTeam}}","user_api_key_team_id":"{{otherTeam}}","max_budget":1000,"budget_duration":"1s",
            "metadata":{"user_api_key":"{{otherKey}}","user_api_key_team_id":"{{otherTeam}}","user_api_key_alias":"other","team_id":"{{otherTeam}}"},
            "litellm_metadata":{"user_api_key_team_id":"{{otherTeam}}"}
            """;

        using var response = await PostAsync(host, key, "/v1/chat/completions",
            $$"""{"model":"chat","messages":[{"role":"user","content":"whose"}],{{fields}}}""", ("x-litellm-api-key", otherKey), ("x-goog-api-key", otherKey));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = Assert.Single(await LedgerRowsAsync(host, key));
        Assert.Equal(ownTeam, row.GetProperty("team_id").GetString());
        Assert.True(await TeamSpendWhenSettledAsync(host, ownTeam) > 0);
        Assert.Equal(0m, await TeamSpendAsync(host, otherTeam));
        Assert.Empty(await LedgerRowsAsync(host, otherKey, 0));
    }

    /// <summary>
    /// LiteLLM's per-request retry and fallback knobs (<c>num_retries</c>, <c>context_window_fallbacks</c>,
    /// <c>mock_testing_fallbacks</c>, <c>x-litellm-num-retries</c>, <c>x-litellm-timeout</c>) are not honoured: they cannot
    /// multiply the attempts (each a possible provider charge) past the config's, nor reach a group the config does not
    /// name. One deployment failing → one attempt, the other group untouched.
    /// </summary>
    [Fact]
    public async Task RetryAndFallbackKnobsInTheRequestDoNotMultiplyAttempts()
    {
        var prices = new[] { $"input_cost_per_token: {InputRate}", $"output_cost_per_token: {OutputRate}" };
        var host = await StartApiAsync(Config(Deployment("chat", "openai/gpt-4.1", Primary, [], prices)
            + Deployment("premium", "openai/gpt-4.1", Backup, [], prices)));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "retries" });
        Primary.Default = FakeResponse.Error(500);

        using var response = await PostAsync(host, key, "/v1/chat/completions", """
            {"model":"chat","max_tokens":10,"messages":[{"role":"user","content":"retry me"}],"num_retries":20,"max_retries":20,
             "context_window_fallbacks":[{"chat":["premium"]}],"mock_testing_fallbacks":true,"disable_fallbacks":false}
            """, ("x-litellm-num-retries", "20"), ("x-litellm-timeout", "600"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("(1 attempt", await response.Content.ReadAsStringAsync(Timeout));
        Assert.Equal(1, Primary.RequestCount);
        Assert.Equal(0, Backup.RequestCount);
        // Nor forwarded: a provider refuses fields it does not know (BodyRewriter's gateway-only fields).
        var forwarded = JsonNode.Parse(Primary.Requests.Single().Body)!.AsObject();
        Assert.DoesNotContain(forwarded, field => field.Key is "num_retries" or "max_retries" or "context_window_fallbacks" or "mock_testing_fallbacks");
    }

    /// <summary>
    /// A request's <c>timeout</c> / <c>request_timeout</c> (and <c>x-litellm-timeout</c>) do not lengthen the deployment's
    /// <c>timeout</c>: a client cannot hold a connection (and a parallel lease) open past what the operator set.
    /// </summary>
    [Fact]
    public async Task ARequestsOwnTimeoutDoesNotLengthenTheDeploymentsTimeout()
    {
        var host = await StartApiAsync(Config(Deployment("chat", "openai/gpt-4.1", Primary, ["timeout: 1"],
            [$"input_cost_per_token: {InputRate}", $"output_cost_per_token: {OutputRate}"])));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "timeouts" });
        Primary.Default = FakeResponse.Ok with { DelayBeforeHeaders = TimeSpan.FromSeconds(4) };

        using var response = await PostAsync(host, key, "/v1/chat/completions",
            """{"model":"chat","max_tokens":10,"timeout":600,"request_timeout":600,"stream_timeout":600,"messages":[{"role":"user","content":"slow"}]}""",
            ("x-litellm-timeout", "600"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("timeout", await response.Content.ReadAsStringAsync(Timeout));
    }

    /// <summary>
    /// No client header reaches a provider: not <c>openai-organization</c>/<c>openai-project</c> (which would bill another
    /// organization or project under the gateway's key), not the client's own keys, not <c>x-forwarded-*</c>, not
    /// <c>x-litellm-*</c>; a body <c>extra_headers</c> stays a body field. Anthropic gets the provider key and only allowed
    /// betas. The provider sees the gateway's credential and never the virtual key.
    /// </summary>
    [Theory]
    [InlineData("/v1/chat/completions")]
    [InlineData("/v1/messages")]
    public async Task ClientHeadersNeverReachTheProvider(string path)
    {
        var model = path == "/v1/messages" ? "anthropic/claude-sonnet-4-5-20250929" : "openai/gpt-4.1";
        var host = await StartApiAsync(Config(Deployment("chat", model, Primary, [], [$"input_cost_per_token: {InputRate}", $"output_cost_per_token: {OutputRate}"])));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "headers" });
        var marker = Guid.NewGuid().ToString("N");
        var body = path == "/v1/messages"
            ? $$"""{"model":"chat","max_tokens":10,"messages":[{"role":"user","content":"{{marker}}"}]}"""
            : $$"""{"model":"chat","max_tokens":10,"messages":[{"role":"user","content":"{{marker}}"}],"extra_headers":{"openai-organization":"org-victim"} }""";

        using var client = host.CreateLoopbackClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (path == "/v1/messages")
        {
            request.Headers.Add("x-api-key", key);
            request.Headers.Add("anthropic-version", "2023-06-01");
            request.Headers.Add("anthropic-beta", "output-128k-2025-02-19,interleaved-thinking-2025-05-14");
        }
        else
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            request.Headers.Add("api-key", "sk-client-azure-key");
        }

        foreach (var (name, value) in ClientHeaders)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await client.SendAsync(request, Timeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sent = Assert.Single(Primary.Requests, r => r.Body.Contains(marker));
        foreach (var (name, _) in ClientHeaders)
        {
            Assert.Null(sent.Header(name));
        }

        Assert.Null(sent.Header("api-key"));
        Assert.DoesNotContain(sent.Headers, h => h.Value.Contains(key, StringComparison.Ordinal));
        if (path == "/v1/messages")
        {
            Assert.Equal(ProviderKey, sent.Header("x-api-key"));
            Assert.Equal("interleaved-thinking-2025-05-14", sent.Header("anthropic-beta"));
        }
        else
        {
            Assert.Equal($"Bearer {ProviderKey}", sent.Header("authorization"));
        }
    }

    private static readonly (string Name, string Value)[] ClientHeaders =
    [
        ("openai-organization", "org-victim"), ("openai-project", "proj-victim"), ("x-goog-api-key", "client-google-key"),
        ("x-litellm-api-key", "sk-client-litellm-key"), ("x-forwarded-for", "10.0.0.1"), ("x-forwarded-host", "evil.example"),
        ("x-litellm-tags", "client-tag"), ("x-litellm-enable-message-redaction", "false"), ("x-litellm-disable-fallbacks", "true"),
        ("x-stainless-helper", "client"), ("cookie", "session=client"),
    ];

    /// <summary>
    /// A virtual key only in a header the gateway does not read (<c>x-litellm-api-key</c>, <c>x-goog-api-key</c>) authenticates
    /// nothing: a 401, no upstream call. (LiteLLM reads <c>x-litellm-api-key</c>; the gateway does not — a compatibility gap,
    /// not a way in.)
    /// </summary>
    [Theory]
    [InlineData("x-litellm-api-key")]
    [InlineData("x-goog-api-key")]
    public async Task AKeyInAHeaderTheGatewayDoesNotReadIsA401(string header)
    {
        var host = await StartApiAsync(Config(Deployment("chat", "openai/gpt-4.1", Primary, [], [$"input_cost_per_token: {InputRate}", $"output_cost_per_token: {OutputRate}"])));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "unread-header" });

        using var client = host.CreateLoopbackClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"chat","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(header, key);
        using var response = await client.SendAsync(request, Timeout);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, Primary.RequestCount);
    }

    /// <summary>
    /// vLLM (and SGLang) take a request's own <c>priority</c>: with priority scheduling on, lower numbers run first, so a
    /// tenant sending <c>"priority": -1000</c> jumped every other tenant's requests in the server's queue; the gateway
    /// forwarded the field as sent (review G, 2026-12-07). Fixed: <c>priority</c> is a premium feature — refused (400
    /// <c>premium_feature_not_allowed</c>, no upstream call) unless the group's deployments list it in
    /// <c>model_info.allowed_premium</c>, where it is forwarded as sent.
    /// </summary>
    [Fact]
    public async Task ATenantCannotJumpASelfHostedServersQueueWithItsOwnPriority()
    {
        var host = await StartApiAsync(Config(
            Deployment("vllm", "hosted_vllm/llama-3", Primary, [], ["mode: chat"])
            + Deployment("vllm-ranked", "hosted_vllm/llama-3-ranked", Backup, [], ["mode: chat", "allowed_premium: [\"priority\"]"])));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "queue-jumper" });

        using var refused = await PostAsync(host, key, "/v1/chat/completions",
            """{"model":"vllm","priority":-1000,"max_tokens":10,"messages":[{"role":"user","content":"me first"}]}""");
        var error = JsonNode.Parse(await refused.Content.ReadAsStringAsync(Timeout))!["error"]!;
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("premium_feature_not_allowed", (string?)error["code"]);
        Assert.Equal("priority", (string?)error["param"]);
        Assert.Equal(0, Primary.RequestCount);

        using var allowed = await PostAsync(host, key, "/v1/chat/completions",
            """{"model":"vllm-ranked","priority":-1000,"max_tokens":10,"messages":[{"role":"user","content":"me first"}]}""");
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(-1000, (int?)Backup.Requests.Single().Json!["priority"]);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------------------------------

    /// <summary>A model_list entry with extra <c>litellm_params</c> and <c>model_info</c> lines.</summary>
    private static string Deployment(string group, string providerModel, FakeProviderServer server, string[] litellmParams, string[] info) => $"""
          - model_name: "{group}"
            litellm_params:
              model: "{providerModel}"
              api_key: "{ProviderKey}"
              api_base: "{(providerModel.StartsWith("anthropic/", StringComparison.Ordinal) ? server.AnthropicBase : server.OpenAiBase)}"
        {string.Concat(litellmParams.Select(line => $"      {line}\n"))}    model_info:
        {string.Concat(info.Select(line => $"      {line}\n"))}
        """;

    private static long? LongOf(System.Text.Json.Nodes.JsonNode? node) =>
        node is System.Text.Json.Nodes.JsonValue value && value.TryGetValue<long>(out var number) ? number : null;

    private async Task<HttpResponseMessage> SendAsync(GatewayApiHost host, string key, string path, string json, bool anthropic)
    {
        if (!anthropic)
        {
            return await PostAsync(host, key, path, json);
        }

        using var client = host.CreateLoopbackClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add("x-api-key", key);
        request.Headers.Add("anthropic-version", "2023-06-01");
        var response = await client.SendAsync(request, Timeout);
        await response.Content.LoadIntoBufferAsync(Timeout);
        return response;
    }

    private async Task<decimal> TeamSpendAsync(GatewayApiHost host, string teamId)
    {
        using var admin = Client(host);
        var info = await admin.GetFromJsonAsync<JsonElement>($"/team/info?team_id={Uri.EscapeDataString(teamId)}", Timeout);
        return info.GetProperty("team_info").GetProperty("spend").GetDecimal();
    }

    /// <summary>The team's spend once a request's settle reached it (bounded wait).</summary>
    private async Task<decimal> TeamSpendWhenSettledAsync(GatewayApiHost host, string teamId)
    {
        var spend = 0m;
        await LocalProcess.WaitUntilAsync(async () => (spend = await TeamSpendAsync(host, teamId)) > 0, TimeSpan.FromSeconds(20), "the team's spend");
        return spend;
    }

    private static string Shorten(string text, int length = 400) => text.Length <= length ? text : text[..length] + "…";
}
