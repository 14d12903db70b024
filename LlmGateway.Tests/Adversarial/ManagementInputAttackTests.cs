using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Tests.Infrastructure;
using LlmGateway.Tests.Limits;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// Attack: an admin (or a provisioning script with a bug) sends odd values to the management API — numbers at the edges
/// of what a budget or a limit can hold, durations past the calendar, strings longer than the columns, characters
/// Postgres refuses, concurrent duplicates. The rules: bad input is a clear 4xx, never a 500; nothing is silently
/// truncated or corrupted; a budget is never turned into "unlimited" (or "refuse everything") by an odd value. Where a
/// value is accepted, a real chat request through the proxy then checks that the budget still holds.
/// Every call of the fixture's upstream costs exactly $0.01 and reserves exactly $0.01 (<c>max_tokens: 100</c>).
/// Every hole these tests found was fixed on 2026-12-07 (docs/governance.md, "What an admin may send"): where a summary
/// below says what the gateway did, it is what it did before.
/// </summary>
public sealed class ManagementInputAttackTests(GovernanceFixture fixture) : IClassFixture<GovernanceFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    private HttpClient Admin() => fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);

    private sealed record Answer(HttpStatusCode Status, string Body)
    {
        public bool Ok => (int)Status is >= 200 and < 300;
        public bool ClientError => (int)Status is >= 400 and < 500;
        public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();
        public override string ToString() => $"{(int)Status} {(Body.Length > 400 ? Body[..400] + "…" : Body)}";
    }

    private async Task<Answer> PostAsync(string path, string json)
    {
        using var admin = Admin();
        using var response = await admin.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"), Ct);
        return new Answer(response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    private Task<Answer> PostAsync(string path, object body) => PostAsync(path, JsonSerializer.Serialize(body));

    /// <summary>A GET; an answer cut off mid-body (a streamed 200 that failed after its headers) is reported as status 0.</summary>
    private async Task<Answer> GetAsync(string pathAndQuery)
    {
        using var admin = Admin();
        try
        {
            using var response = await admin.GetAsync(pathAndQuery, Ct);
            return new Answer(response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
        }
        catch (HttpRequestException ex)
        {
            return new Answer(0, $"the answer was cut off: {ex.Message} ({ex.InnerException?.Message})");
        }
    }

    private async Task<JsonElement> PostOkAsync(string path, object body)
    {
        var answer = await PostAsync(path, body);
        Assert.True(answer.Ok, $"{path}: {answer}");
        return answer.Json;
    }

    /// <summary>One chat request through the proxy ($0.01), optionally naming an end user.</summary>
    private async Task<Answer> ChatAsync(string key, string? endUser = null)
    {
        using var client = fixture.Api.CreateLoopbackClient();
        var body = new JsonObject
        {
            ["model"] = GovernanceFixture.Model,
            ["max_tokens"] = 100,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "hello" }),
        };
        if (endUser is not null)
        {
            body["user"] = endUser;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", key) },
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        using var response = await client.SendAsync(request, Ct);
        return new Answer(response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    /// <summary>Sends <paramref name="count"/> requests one after another; how many were answered 200 (every other status must be a 429).</summary>
    private async Task<int> AdmittedOfAsync(string key, int count)
    {
        var admitted = 0;
        for (var i = 0; i < count; i++)
        {
            var answer = await ChatAsync(key);
            if (answer.Status == HttpStatusCode.OK)
            {
                admitted++;
            }
            else
            {
                Assert.True(answer.Status == HttpStatusCode.TooManyRequests, $"request {i + 1}: expected 200 or 429, got {answer}");
            }
        }

        return admitted;
    }

    /// <summary>A management body that sets <paramref name="field"/> to <paramref name="rawJsonValue"/> plus whatever the path requires.</summary>
    private static string BodyFor(string path, string field, string rawJsonValue)
    {
        var required = path switch
        {
            "/team/new" => $"\"team_alias\":\"{Unique("t")}\"",
            "/key/generate" => $"\"key_alias\":\"{Unique("k")}\"",
            "/user/new" => $"\"user_id\":\"{Unique("u")}\",\"auto_create_key\":false",
            "/organization/new" => $"\"organization_alias\":\"{Unique("o")}\"",
            "/customer/new" => $"\"user_id\":\"{Unique("c")}\"",
            "/budget/new" => $"\"budget_id\":\"{Unique("b")}\"",
            "/tag/new" => $"\"name\":\"{Unique("g")}\"",
            _ => throw new ArgumentOutOfRangeException(nameof(path)),
        };
        // The field the test sets wins over a required one of the same name.
        return field is "team_alias" or "key_alias" or "user_id" or "organization_alias" or "budget_id" or "name"
            && required.StartsWith($"\"{field}\"", StringComparison.Ordinal)
            ? $"{{\"{field}\":{rawJsonValue}{(required.Contains(',') ? "," + required[(required.IndexOf(',') + 1)..] : "")}}}"
            : $"{{{required},\"{field}\":{rawJsonValue}}}";
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 1. Numbers at the edges of a budget.
    // ---------------------------------------------------------------------------------------------------------------

    /// <summary>
    /// Admins write "no limit" as a huge number (1e12 is common in LiteLLM scripts). Postgres keeps budgets as
    /// numeric(18,8) (at most $9,999,999,999.99999999), and Redis as int64 nano-dollars (at most ~$9.22e9). A value past
    /// either must be a 400 naming the field — not a 500 from the database or the JSON reader.
    /// </summary>
    [Theory]
    [InlineData("/team/new", "max_budget", "1e10")]
    [InlineData("/team/new", "max_budget", "1000000000000")]
    [InlineData("/team/new", "max_budget", "1e15")]
    [InlineData("/team/new", "max_budget", "1e308")]
    [InlineData("/team/new", "soft_budget", "1e12")]
    [InlineData("/key/generate", "max_budget", "1000000000000")]
    [InlineData("/key/generate", "max_budget", "1e20")]
    [InlineData("/key/generate", "soft_budget", "1e12")]
    [InlineData("/user/new", "max_budget", "1000000000000")]
    [InlineData("/organization/new", "max_budget", "1000000000000")]
    [InlineData("/customer/new", "max_budget", "1000000000000")]
    [InlineData("/budget/new", "max_budget", "1000000000000")]
    [InlineData("/tag/new", "max_budget", "1000000000000")]
    public async Task AHugeBudgetIsAClearRefusalNotA500(string path, string field, string value)
    {
        var answer = await PostAsync(path, BodyFor(path, field, value));

        Assert.True(answer.ClientError || answer.Ok, $"{path} with {field}: {value} must be a 4xx naming '{field}' (or kept exactly), got {answer}");
        if (answer.ClientError)
        {
            var error = answer.Json.GetProperty("error");
            Assert.True(error.GetProperty("param").GetString() == field || error.GetProperty("message").GetString()!.Contains(field, StringComparison.Ordinal),
                $"the 4xx must name '{field}': {answer}");
        }
    }

    /// <summary>
    /// $9.3e9 fits the database's numeric(18,8) but not int64 nano-dollars ($9.22e9): <c>Money.ToNanos</c> casts a decimal
    /// past <c>long.MaxValue</c>, which throws. Such a budget must either be refused when set, or hold — a $0.01 request
    /// under it answered 200, never a 500 on every request of every key under it.
    /// </summary>
    [Theory]
    [InlineData("key")]
    [InlineData("team")]
    [InlineData("user")]
    [InlineData("member")]
    [InlineData("organization")]
    [InlineData("budget_object")]
    [InlineData("budget_window")]
    [InlineData("tag")]
    [InlineData("customer")]
    public async Task ABudgetPastTheNanoDollarRangeIsRefusedOrHolds(string holder)
    {
        const decimal Budget = 9_300_000_000m;
        string? endUser = null;
        Answer set;
        string? key = null;
        switch (holder)
        {
            case "key":
                set = await PostAsync("/key/generate", new { max_budget = Budget });
                key = set.Ok ? set.Json.GetProperty("key").GetString() : null;
                break;
            case "team":
                set = await PostAsync("/team/new", new { team_alias = Unique("t"), max_budget = Budget });
                key = set.Ok ? (await PostOkAsync("/key/generate", new { team_id = set.Json.GetProperty("team_id").GetString() })).GetProperty("key").GetString() : null;
                break;
            case "user":
                set = await PostAsync("/user/new", new { user_id = Unique("u"), max_budget = Budget });
                key = set.Ok ? set.Json.GetProperty("key").GetString() : null;
                break;
            case "member":
            {
                var teamId = (await PostOkAsync("/team/new", new { team_alias = Unique("t") })).GetProperty("team_id").GetString();
                var userId = Unique("u");
                set = await PostAsync("/team/member_add", new { team_id = teamId, member = new { user_id = userId, role = "user" }, max_budget_in_team = Budget });
                key = set.Ok ? (await PostOkAsync("/key/generate", new { team_id = teamId, user_id = userId })).GetProperty("key").GetString() : null;
                break;
            }
            case "organization":
                set = await PostAsync("/organization/new", new { organization_alias = Unique("o"), max_budget = Budget });
                if (set.Ok)
                {
                    var teamId = (await PostOkAsync("/team/new", new { team_alias = Unique("t"), organization_id = set.Json.GetProperty("organization_id").GetString() }))
                        .GetProperty("team_id").GetString();
                    key = (await PostOkAsync("/key/generate", new { team_id = teamId })).GetProperty("key").GetString();
                }

                break;
            case "budget_object":
                set = await PostAsync("/budget/new", new { budget_id = Unique("b"), max_budget = Budget });
                key = set.Ok ? (await PostOkAsync("/key/generate", new { budget_id = set.Json.GetProperty("budget_id").GetString() })).GetProperty("key").GetString() : null;
                break;
            case "budget_window":
                set = await PostAsync("/key/generate", new { budget_limits = new[] { new { budget_duration = "1d", max_budget = Budget } } });
                key = set.Ok ? set.Json.GetProperty("key").GetString() : null;
                break;
            case "tag":
            {
                var name = Unique("g");
                set = await PostAsync("/tag/new", new { name, max_budget = Budget });
                key = set.Ok ? (await PostOkAsync("/key/generate", new { tags = new[] { name } })).GetProperty("key").GetString() : null;
                break;
            }
            case "customer":
                endUser = Unique("c");
                set = await PostAsync("/customer/new", new { user_id = endUser, max_budget = Budget });
                key = set.Ok ? (await PostOkAsync("/key/generate", new { key_alias = Unique("k") })).GetProperty("key").GetString() : null;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(holder));
        }

        Assert.True(set.Ok || set.ClientError, $"setting a {holder} budget of ${Budget}: expected 2xx or a 4xx, got {set}");
        if (!set.Ok)
        {
            return; // refused clearly: fine
        }

        var chat = await ChatAsync(key!, endUser);
        Assert.True(chat.Status == HttpStatusCode.OK,
            $"a {holder} budget of ${Budget} was accepted, then a $0.01 request under it got {chat} (Money.ToNanos overflows int64 past ~$9.22e9)");
    }

    /// <summary>
    /// <c>temp_budget_increase</c> is not validated at all. A negative increase larger than the budget makes the effective
    /// budget negative, and <c>admit.lua</c> reads a negative budget as "no budget" (<c>if budget >= 0</c>): the key
    /// becomes unlimited. It must be a 400, or leave the key at most its own $0.02.
    /// </summary>
    [Fact]
    public async Task ANegativeTemporaryIncreaseNeverMakesABudgetUnlimited()
    {
        var key = (await PostOkAsync("/key/generate", new { key_alias = Unique("k"), max_budget = 0.02m })).GetProperty("key").GetString()!;

        var update = await PostAsync("/key/update", new { key, temp_budget_increase = -1m, temp_budget_expiry = DateTimeOffset.UtcNow.AddHours(1) });

        Assert.True(update.Ok || update.ClientError, $"/key/update temp_budget_increase -1: {update}");
        if (update.ClientError)
        {
            Assert.Equal("temp_budget_increase", update.Json.GetProperty("error").GetProperty("param").GetString());
            return;
        }

        var admitted = await AdmittedOfAsync(key, 5);
        Assert.True(admitted <= 2,
            $"a $0.02 key given temp_budget_increase: -1 (accepted, {update.Status}) admitted {admitted} of 5 $0.01 requests: the negative effective budget (-$0.98) was read as unlimited");
    }

    /// <summary>An increase that takes the effective budget past the nano-dollar range: refused, or the key still answers.</summary>
    [Fact]
    public async Task AHugeTemporaryIncreaseIsRefusedOrHolds()
    {
        // The largest budget an admin may set ($1e9, ManagementErrors.MaxDollars; 9e9 was accepted and every request a 500).
        var key = (await PostOkAsync("/key/generate", new { key_alias = Unique("k"), max_budget = 1_000_000_000m })).GetProperty("key").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(key)).Status);

        var update = await PostAsync("/key/update", new { key, temp_budget_increase = 9_000_000_000m, temp_budget_expiry = DateTimeOffset.UtcNow.AddHours(1) });

        Assert.True(update.Ok || update.ClientError, $"/key/update temp_budget_increase 9e9: {update}");
        if (update.Ok)
        {
            var chat = await ChatAsync(key);
            Assert.True(chat.Status == HttpStatusCode.OK,
                $"a $9e9 key given temp_budget_increase $9e9 (accepted) then answered a $0.01 request with {chat} (effective $1.8e10 overflows int64 nano-dollars)");
        }
    }

    /// <summary>
    /// <c>model_max_budget</c> is accepted on <c>/key/generate</c> (LiteLLM's field, listed in governance.md's table) and
    /// returned, but nothing enforces it and no doc says so for keys (only "on a budget object … not enforced"). An admin
    /// capping a key's spend on one model gets an unlimited key. It must be enforced, or refused with a 400.
    /// </summary>
    [Fact]
    public async Task AKeysPerModelBudgetIsEnforcedOrRefused()
    {
        var generated = await PostAsync("/key/generate", new { key_alias = Unique("k"), model_max_budget = new Dictionary<string, decimal> { [GovernanceFixture.Model] = 0.02m } });

        Assert.True(generated.Ok || generated.ClientError, $"/key/generate with model_max_budget: {generated}");
        if (generated.ClientError)
        {
            return;
        }

        var admitted = await AdmittedOfAsync(generated.Json.GetProperty("key").GetString()!, 5);
        Assert.True(admitted <= 2,
            $"a key with model_max_budget {{\"{GovernanceFixture.Model}\": 0.02}} (accepted) admitted {admitted} of 5 $0.01 requests on that model: the per-model budget is stored, never enforced");
    }

    /// <summary>A negative per-model limit is as wrong as a negative <c>rpm_limit</c> (a 400): it must not be stored as "no limit".</summary>
    [Theory]
    [InlineData("model_rpm_limit", "-1")]
    [InlineData("model_tpm_limit", "-5")]
    [InlineData("model_max_budget", "-1")]
    public async Task ANegativePerModelLimitIsRefused(string field, string value)
    {
        var answer = await PostAsync("/key/generate", $"{{\"key_alias\":\"{Unique("k")}\",\"{field}\":{{\"{GovernanceFixture.Model}\":{value}}}}}");

        Assert.True(answer.ClientError, $"/key/generate with {field} {{\"{GovernanceFixture.Model}\": {value}}} must be a 400 like rpm_limit: -1; got {answer}");
    }

    /// <summary>Limits at and past the integer edges: a clear 400 or a working key — never a 500 at bind time or at request time.</summary>
    [Theory]
    [InlineData("rpm_limit", "9223372036854775808")]
    [InlineData("rpm_limit", "1.5")]
    [InlineData("tpm_limit", "-9223372036854775808")]
    [InlineData("max_parallel_requests", "2147483648")]
    [InlineData("max_parallel_requests", "-1")]
    [InlineData("max_budget", "-0.000000001")]
    [InlineData("max_budget", "\"NaN\"")]
    [InlineData("budget_duration", "\"\"")]
    [InlineData("budget_duration", "\"0d\"")]
    [InlineData("budget_duration", "\"-1d\"")]
    [InlineData("budget_duration", "\"1x\"")]
    [InlineData("budget_duration", "\"30\"")]
    [InlineData("duration", "\"1mo\"")]
    [InlineData("duration", "\"0s\"")]
    [InlineData("budget_limits", "[{\"budget_duration\":\"1d\",\"max_budget\":-1}]")]
    [InlineData("budget_limits", "[{\"budget_duration\":\"1d\",\"max_budget\":1},{\"budget_duration\":\"1d\",\"max_budget\":2}]")]
    [InlineData("metadata", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]")]
    public async Task AnOutOfRangeLimitIsAClearRefusal(string field, string value)
    {
        var answer = await PostAsync("/key/generate", BodyFor("/key/generate", field, value));

        Assert.True(answer.ClientError, $"/key/generate with {field}: {value} must be a 4xx; got {answer}");
        Assert.False(string.IsNullOrWhiteSpace(answer.Json.GetProperty("error").GetProperty("message").GetString()));
    }

    /// <summary>The largest limits a long holds: accepted, and a request under them answered (Lua reads them as doubles).</summary>
    [Theory]
    [InlineData("rpm_limit")]
    [InlineData("tpm_limit")]
    public async Task TheLargestLimitStillAnswersRequests(string field)
    {
        var answer = await PostAsync("/key/generate", BodyFor("/key/generate", field, long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.True(answer.Ok || answer.ClientError, $"{field}: long.MaxValue: {answer}");
        if (answer.Ok)
        {
            var chat = await ChatAsync(answer.Json.GetProperty("key").GetString()!);
            Assert.True(chat.Status == HttpStatusCode.OK, $"a key with {field} = long.MaxValue answered {chat}");
        }
    }

    /// <summary>A budget below a nano-dollar is $0 in Redis and numeric(18,8): it must refuse (not become unlimited).</summary>
    [Fact]
    public async Task ABudgetBelowANanoDollarRefusesAndIsNotUnlimited()
    {
        var answer = await PostAsync("/key/generate", new { key_alias = Unique("k"), max_budget = 1e-12m });
        Assert.True(answer.Ok || answer.ClientError, $"max_budget 1e-12: {answer}");
        if (answer.Ok)
        {
            Assert.Equal(0, await AdmittedOfAsync(answer.Json.GetProperty("key").GetString()!, 2));
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 2. Durations past the calendar.
    // ---------------------------------------------------------------------------------------------------------------

    /// <summary>
    /// <c>BudgetWindow.TryParseDuration</c> accepts any count of days: "99999999d" overflows <c>TimeSpan</c> while
    /// parsing (an exception out of the validator), "3000000d" parses but its window ends past year 9999
    /// (<c>BudgetWindow.For</c> throws when it builds <c>budget_reset_at</c>), and a zero-padded "0000…030d" is valid
    /// yet longer than the 16-character column. Each must be a 400 naming <c>budget_duration</c>.
    /// </summary>
    [Theory]
    [InlineData("/team/new", "99999999d")]
    [InlineData("/team/new", "3000000d")]
    [InlineData("/team/new", "0000000000000000030d")]
    [InlineData("/key/generate", "99999999d")]
    [InlineData("/key/generate", "3000000d")]
    [InlineData("/key/generate", "0000000000000000030d")]
    [InlineData("/user/new", "3000000d")]
    [InlineData("/organization/new", "3000000d")]
    [InlineData("/customer/new", "3000000d")]
    [InlineData("/budget/new", "3000000d")]
    [InlineData("/tag/new", "3000000d")]
    [InlineData("/key/generate", "9223372036854775807s")]
    public async Task ABudgetDurationPastTheCalendarIsAClearRefusal(string path, string duration)
    {
        var answer = await PostAsync(path, BodyFor(path, "budget_duration", $"\"{duration}\""));

        Assert.True(answer.ClientError || answer.Ok, $"{path} with budget_duration '{duration}': expected a 400 naming budget_duration, got {answer}");
        if (answer.ClientError)
        {
            Assert.Equal("budget_duration", answer.Json.GetProperty("error").GetProperty("param").GetString());
        }
    }

    /// <summary>A very long but representable period (about 5,500 years): refused (past a century), or accepted and the key still answers.</summary>
    [Fact]
    public async Task AVeryLongButRepresentableBudgetPeriodStillWorks()
    {
        var answer = await PostAsync("/key/generate", new { key_alias = Unique("k"), max_budget = 1m, budget_duration = "2000000d" });
        Assert.True(answer.Ok || answer.ClientError, $"budget_duration 2000000d: {answer}");
        if (answer.Ok)
        {
            var key = answer.Json.GetProperty("key").GetString()!;
            Assert.Equal(HttpStatusCode.OK, (await ChatAsync(key)).Status);
            var info = await GetAsync($"/key/info?key={Uri.EscapeDataString(key)}");
            Assert.True(info.Ok, $"/key/info of a key with budget_duration 2000000d: {info}");
        }
    }

    /// <summary>
    /// The worst of it: "3000000d" passes validation, the team is saved, and only rendering its <c>budget_reset_at</c>
    /// throws — so the 500 comes after the row is committed, and from then on every call that renders that team (the
    /// admin's team list included) is a 500 for everyone, until someone edits the database.
    /// </summary>
    [Fact]
    public async Task AnUnrepresentablePeriodNeverLeavesAnUnreadableTeamBehind()
    {
        var alias = Unique("t-poison");
        var created = await PostAsync("/team/new", new { team_alias = alias, max_budget = 1m, budget_duration = "3000000d" });

        var list = await GetAsync("/team/list");
        Assert.True(list.Ok, $"/team/new with budget_duration '3000000d' answered {created.Status}; then GET /team/list answered {list}");
        Assert.True(created.Ok || created.ClientError, $"/team/new with budget_duration '3000000d': {created}");
        if (created.ClientError)
        {
            Assert.DoesNotContain(alias, list.Body, StringComparison.Ordinal); // refused: nothing saved
        }
    }

    /// <summary>A key lifetime, grace period or members' key duration past the calendar: 400, never 500.</summary>
    [Theory]
    [InlineData("duration", "99999999d")]
    [InlineData("duration", "3000000d")]
    [InlineData("grace_period", "99999999d")]
    [InlineData("grace_period", "3000000d")]
    [InlineData("team_member_key_duration", "3000000d")]
    public async Task AKeyLifetimePastTheCalendarIsAClearRefusal(string field, string duration)
    {
        Answer answer;
        switch (field)
        {
            case "duration":
                answer = await PostAsync("/key/generate", new { key_alias = Unique("k"), duration });
                break;
            case "grace_period":
            {
                var key = (await PostOkAsync("/key/generate", new { key_alias = Unique("k") })).GetProperty("key").GetString()!;
                answer = await PostAsync($"/key/{Uri.EscapeDataString(key)}/regenerate", new { grace_period = duration });
                break;
            }
            default:
            {
                var userId = Unique("u");
                var team = await PostAsync("/team/new", new { team_alias = Unique("t"), team_member_key_duration = duration, members_with_roles = new[] { new { user_id = userId, role = "user" } } });
                Assert.True(team.Ok || team.ClientError, $"/team/new with team_member_key_duration '{duration}': {team}");
                if (team.ClientError)
                {
                    return;
                }

                // Accepted: then the member's key generation must not fail.
                answer = await PostAsync("/key/generate", new { team_id = team.Json.GetProperty("team_id").GetString(), user_id = userId });
                Assert.True(answer.Ok, $"team_member_key_duration '{duration}' was accepted, then a member's /key/generate got {answer}");
                return;
            }
        }

        Assert.True(answer.ClientError, $"{field} '{duration}' must be a 400 naming {field}; got {answer}");
        Assert.Equal(field, answer.Json.GetProperty("error").GetProperty("param").GetString());
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 3. Strings the database cannot hold.
    // ---------------------------------------------------------------------------------------------------------------

    /// <summary>
    /// Names and aliases are stored in varchar(256) (ids 128) columns, but only the ids are checked: a longer alias reaches
    /// Postgres and fails as 22001 — a 500. It must be a 400 naming the field, or be kept whole (never cut).
    /// </summary>
    [Theory]
    [InlineData("/team/new", "team_alias", 300)]
    [InlineData("/team/new", "team_alias", 100_000)]
    [InlineData("/key/generate", "key_alias", 300)]
    [InlineData("/key/generate", "user_id", 300)]
    [InlineData("/user/new", "user_alias", 300)]
    [InlineData("/user/new", "user_email", 300)]
    [InlineData("/organization/new", "organization_alias", 300)]
    [InlineData("/customer/new", "alias", 300)]
    [InlineData("/tag/new", "description", 2_000)]
    [InlineData("/team/new", "team_id", 129)]
    [InlineData("/budget/new", "budget_id", 200)]
    [InlineData("/customer/new", "user_id", 200)]
    public async Task ATooLongNameIsAClearRefusalOrKeptWhole(string path, string field, int length)
    {
        var value = new string('a', length);
        var answer = await PostAsync(path, BodyFor(path, field, $"\"{value}\""));

        Assert.True(answer.ClientError || answer.Ok, $"{path} with a {length}-character {field}: expected a 400 naming '{field}' or the value kept, got {answer}");
        if (answer.ClientError)
        {
            Assert.Equal(field, answer.Json.GetProperty("error").GetProperty("param").GetString());
        }
    }

    /// <summary>
    /// Postgres refuses U+0000 in text and jsonb (22021 / 22P05). A JSON "\u0000" in an alias, a tag or metadata must be a
    /// 400 (or the character dropped), never a 500 after the checks passed.
    /// </summary>
    [Theory]
    [InlineData("/team/new", "team_alias", "\"a\\u0000b\"")]
    [InlineData("/team/new", "metadata", "{\"note\":\"a\\u0000b\"}")]
    [InlineData("/team/new", "tags", "[\"a\\u0000b\"]")]
    [InlineData("/key/generate", "key_alias", "\"a\\u0000b\"")]
    [InlineData("/key/generate", "metadata", "{\"a\\u0000\":1}")]
    [InlineData("/user/new", "user_alias", "\"a\\u0000b\"")]
    [InlineData("/organization/new", "metadata", "{\"note\":\"\\u0000\"}")]
    [InlineData("/team/new", "team_alias", "\"\\ud800\"")]
    public async Task ANulCharacterIsAClearRefusalNotA500(string path, string field, string value)
    {
        var answer = await PostAsync(path, BodyFor(path, field, value));

        Assert.True(answer.ClientError || answer.Ok, $"{path} with {field}: {value}: expected a 400 (or the character dropped), got {answer}");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 4. Paging and the spend API.
    // ---------------------------------------------------------------------------------------------------------------

    /// <summary>
    /// <c>/key/list</c> and <c>/user/list</c> compute <c>(page - 1) * size</c> in 32 bits: a large page wraps to a negative
    /// OFFSET, which Postgres refuses (a 500). A page past the end is an empty page (or a 400).
    /// </summary>
    [Theory]
    [InlineData("/key/list?page=2147483647")]
    [InlineData("/key/list?page=2147483647&size=500")]
    [InlineData("/key/list?page=44739243&size=50")]
    [InlineData("/user/list?page=2147483647")]
    [InlineData("/user/list?page=2147483647&page_size=500")]
    [InlineData("/key/list?team_id=no-such-team&page=0&size=0")]
    [InlineData("/key/list?team_id=no-such-team&page=-5&size=-1")]
    [InlineData("/key/list?page=99999999999")]
    [InlineData("/user/list?role=proxy_admin_viewer&page=-1&page_size=0")]
    [InlineData("/spend/logs?page=2147483647&page_size=1000")]
    [InlineData("/spend/logs?start_date=yesterday")]
    [InlineData("/spend/logs?start_date=0001-01-01&end_date=9999-12-31")]
    [InlineData("/spend/logs?start_date=2026-12-31&end_date=2020-01-01")]
    [InlineData("/spend/logs?api_key=%27%3B%20DROP%20TABLE%20spend_logs%3B--&team_id=%27%20OR%201%3D1--")]
    [InlineData("/spend/logs?user_id=%00")]
    [InlineData("/global/spend?start_date=%27%20OR%201%3D1")]
    [InlineData("/global/spend/logs?start_date=-1")]
    [InlineData("/spend/tags?start_date=9999-99-99")]
    public async Task APageOrFilterAtTheEdgeIsNeverA500(string pathAndQuery)
    {
        var answer = await GetAsync(pathAndQuery);

        Assert.True(answer.Ok || answer.ClientError, $"GET {pathAndQuery}: expected 200 (an empty page) or a 400, got {answer}");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 5. Concurrency.
    // ---------------------------------------------------------------------------------------------------------------

    /// <summary>
    /// Creating an object checks its id is free, then inserts: two calls at once with the same id both pass the check and
    /// the second insert fails on the primary key — a 500. One must win (200) and the rest get the 400 "already exists".
    /// </summary>
    [Theory]
    [InlineData("/team/new", "team_id")]
    [InlineData("/user/new", "user_id")]
    [InlineData("/organization/new", "organization_id")]
    [InlineData("/budget/new", "budget_id")]
    [InlineData("/customer/new", "user_id")]
    [InlineData("/tag/new", "name")]
    public async Task ConcurrentCreatesOfOneIdAreOneWinAndClearRefusals(string path, string idField)
    {
        for (var round = 0; round < 3; round++)
        {
            var id = Unique("dup");
            var body = BodyFor(path, idField, $"\"{id}\"");
            if (path == "/organization/new")
            {
                body = $"{{\"organization_id\":\"{id}\",\"organization_alias\":\"{id}\"}}";
            }

            var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => PostAsync(path, body)));

            Assert.True(answers.All(a => a.Ok || a.ClientError),
                $"round {round}: 8 concurrent {path} with {idField} '{id}': {string.Join(" | ", answers.Where(a => !a.Ok && !a.ClientError).Select(a => a.ToString()).Distinct())}");
            Assert.Equal(1, answers.Count(a => a.Ok));
        }
    }

    /// <summary>The same user added to a team by two calls at once: one 200, one 400 "already a member" — never a 500 nor two memberships.</summary>
    [Fact]
    public async Task ConcurrentMemberAddsOfOneUserAreOneWin()
    {
        for (var round = 0; round < 3; round++)
        {
            var teamId = (await PostOkAsync("/team/new", new { team_alias = Unique("t") })).GetProperty("team_id").GetString()!;
            var userId = Unique("u");
            var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ =>
                PostAsync("/team/member_add", new { team_id = teamId, member = new { user_id = userId, role = "user" } })));

            Assert.True(answers.All(a => a.Ok || a.ClientError),
                $"round {round}: 6 concurrent /team/member_add of one user: {string.Join(" | ", answers.Where(a => !a.Ok && !a.ClientError).Select(a => a.ToString()).Distinct())}");
            Assert.Equal(1, answers.Count(a => a.Ok));
            var info = await GetAsync($"/team/info?team_id={Uri.EscapeDataString(teamId)}");
            Assert.True(info.Ok, info.ToString());
            Assert.Equal(1, info.Json.GetProperty("team_memberships").EnumerateArray().Count(m => m.GetProperty("user_id").GetString() == userId));
        }
    }

    /// <summary>
    /// Keys generated while their team is deleted: each call is a 200 (then the key must not work) or a 4xx naming the team —
    /// never a 500 from the foreign key, and never a working key of a deleted team.
    /// </summary>
    [Fact]
    public async Task KeysGeneratedWhileTheirTeamIsDeletedAreRefusedOrDead()
    {
        for (var round = 0; round < 3; round++)
        {
            var teamId = (await PostOkAsync("/team/new", new { team_alias = Unique("t") })).GetProperty("team_id").GetString()!;
            var generates = Enumerable.Range(0, 10).Select(_ => PostAsync("/key/generate", new { team_id = teamId })).ToList();
            var delete = PostAsync("/team/delete", new { team_ids = new[] { teamId } });
            var answers = await Task.WhenAll(generates);
            var deleted = await delete;
            Assert.True(deleted.Ok, $"/team/delete: {deleted}");

            Assert.True(answers.All(a => a.Ok || a.ClientError),
                $"round {round}: /key/generate racing /team/delete: {string.Join(" | ", answers.Where(a => !a.Ok && !a.ClientError).Select(a => a.ToString()).Distinct())}");
            foreach (var generated in answers.Where(a => a.Ok))
            {
                var chat = await ChatAsync(generated.Json.GetProperty("key").GetString()!);
                Assert.True(chat.Status == HttpStatusCode.Unauthorized, $"a key generated for team {teamId} as it was deleted answered {chat}");
            }
        }
    }
}
