using System.Security.Cryptography;
using System.Text;
using LlmGateway.Api.Data;
using LlmGateway.Api.Data.Entities;
using LlmGateway.Api.Spend;
using LlmGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using StackExchange.Redis;

namespace LlmGateway.Tests.Spend;

/// <summary>Usage events, seeded teams and keys, and bounded polling of the ledger for the spend tests.</summary>
internal static class SpendTestData
{
    public static Dictionary<string, string?> Settings(string dataDirectory, params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Gateway:DataDirectory"] = dataDirectory,
            ["Gateway:Spend:PollInterval"] = "00:00:00.050",
            ["Gateway:Spend:SpoolReplayInterval"] = "00:00:00.500",
            ["Gateway:Spend:MaxRetryDelay"] = "00:00:01",
            ["Gateway:Spend:DatabaseRetryAfter"] = "00:00:01",
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>Events waiting in the usage stream before any gateway runs (the ledger group created at its start).</summary>
    public static async Task<IDatabase> FillUsageStreamAsync(ConnectionMultiplexer redis, string requestIdPrefix, int count)
    {
        var db = redis.GetDatabase();
        await db.StreamCreateConsumerGroupAsync("llmgateway:usage", "ledger", "0-0", createStream: true);
        await Task.WhenAll(Enumerable.Range(0, count).Select(i =>
            db.StreamAddAsync("llmgateway:usage", "e", UsageStream.Serialize(Usage($"{requestIdPrefix}{i:D4}")))));
        return db;
    }

    public static string NewDataDirectory() => Path.Combine(Path.GetTempPath(), $"llmgw-spend-{Guid.NewGuid():N}");

    public static void DeleteDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }

    public static string HashOf(string rawKey) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(rawKey)));

    public static UsageEvent Usage(string requestId, string? teamId = null, string? keyHash = null, decimal spend = 0.001m,
        DateTimeOffset? start = null, string model = "gpt-test", string status = "success", double totalMs = 100)
    {
        var startTime = start ?? DateTimeOffset.UtcNow;
        return new UsageEvent
        {
            RequestId = requestId,
            StartTime = startTime,
            EndTime = startTime.AddMilliseconds(totalMs),
            CallType = "chat_completions",
            ApiKeyHash = keyHash,
            TeamId = teamId,
            Tags = ["spend-test"],
            Metadata = """{"source":"test"}""",
            ModelGroup = model,
            Model = $"openai/{model}",
            Provider = "openai",
            Status = status,
            StatusCode = status == "success" ? 200 : 502,
            Attempts = 1,
            Spend = spend,
            PromptTokens = 10,
            CompletionTokens = 5,
            TotalMs = totalMs,
        };
    }

    /// <summary>A ledger row as the writer would store it, for seeding the spend API's tests directly.</summary>
    public static SpendLog LedgerRow(string id, string? team, string? keyHash, string model, string start, decimal spend, double totalMs = 100,
        string status = "success", string? user = null, string? endUser = null, string provider = "openai", params string[] tags)
    {
        var startTime = DateTimeOffset.Parse(start, System.Globalization.CultureInfo.InvariantCulture);
        return new SpendLog
        {
            RequestId = id,
            StartTime = startTime,
            EndTime = startTime.AddMilliseconds(totalMs),
            CallType = "chat_completions",
            ApiKey = keyHash,
            TeamId = team,
            User = user,
            EndUser = endUser,
            RequestTags = [.. tags],
            ModelGroup = model,
            Model = $"{provider}/{model}",
            Provider = provider,
            Status = status,
            StatusCode = status == "success" ? 200 : 502,
            Spend = spend,
            PromptTokens = 10,
            CompletionTokens = 5,
            TotalTokens = 15,
            TotalMs = totalMs,
            Metadata = """{"source":"test"}""",
        };
    }

    /// <summary>GET with the master key; asserts success and returns the JSON answer.</summary>
    public static async Task<System.Text.Json.JsonElement> GetJsonAsync(GatewayApiHost api, string url)
    {
        using var client = api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        using var response = await client.GetAsync(url, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{url}: {(int)response.StatusCode} {text}");
        return System.Text.Json.JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>GET with the master key; asserts a 400 whose <c>param</c> names <paramref name="param"/>.</summary>
    public static async Task AssertBadRequestAsync(GatewayApiHost api, string url, string param)
    {
        using var client = api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        using var response = await client.GetAsync(url, TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        using var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(param, body.RootElement.GetProperty("error").GetProperty("param").GetString());
    }

    public static async Task SeedTeamAndKeyAsync(IServiceProvider services, string teamId, string keyHash, decimal? maxBudget = null)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var now = DateTimeOffset.UtcNow;
        db.Teams.Add(new Team { TeamId = teamId, TeamAlias = teamId, MaxBudget = maxBudget, CreatedAt = now, UpdatedAt = now });
        db.VirtualKeys.Add(new VirtualKey { Token = keyHash, SecretHash = keyHash, KeyName = "sk-...test", TeamId = teamId, CreatedAt = now, UpdatedAt = now });
        await db.SaveChangesAsync();
    }

    /// <summary>
    /// The test Postgres runs with <c>synchronous_commit=off</c>, so a hard stop loses the last few hundred ms of commits
    /// (the schema, the seeded rows); a checkpoint before the outage makes them survive it.
    /// </summary>
    public static async Task CheckpointAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("CHECKPOINT", connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Restarts a stopped Postgres once its killed postmaster is really gone: until then its socket lock file
    /// (<c>.s.PGSQL.port.lock</c>, which <see cref="PostgresServer.StopAsync"/> leaves behind) names a live or
    /// not yet reaped process and the new postmaster refuses to start.
    /// </summary>
    public static async Task RestartAsync(PostgresServer postgres)
    {
        var lockFiles = Directory.EnumerateDirectories(Path.GetTempPath(), "llmgw-pg-*")
            .Select(dir => Path.Combine(dir, $".s.PGSQL.{postgres.Port}.lock"))
            .Where(File.Exists)
            .ToList();
        await LocalProcess.WaitUntilAsync(() => Task.FromResult(lockFiles.All(f => !File.Exists(f) || !PidIsAlive(f))),
            TimeSpan.FromSeconds(30), "the old postmaster's exit");
        await postgres.StartAsync();
    }

    private static bool PidIsAlive(string lockFile)
    {
        var first = File.ReadLines(lockFile).FirstOrDefault();
        return int.TryParse(first, out var pid) && Directory.Exists($"/proc/{pid}");
    }

    public static async Task<T> ScalarAsync<T>(string connectionString, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }

    public static Task<long> CountRowsAsync(string connectionString) =>
        ScalarAsync<long>(connectionString, "SELECT count(*) FROM spend_logs");

    /// <summary>Polls the ledger until it holds <paramref name="expected"/> rows; fails with the last count after the deadline.</summary>
    public static async Task WaitForRowsAsync(string connectionString, long expected, TimeSpan timeout)
    {
        long last = -1;
        try
        {
            await LocalProcess.WaitUntilAsync(async () =>
            {
                try
                {
                    last = await CountRowsAsync(connectionString);
                }
                catch (NpgsqlException)
                {
                    return false;
                }

                return last >= expected;
            }, timeout, "the spend ledger");
        }
        catch (TimeoutException)
        {
            Assert.Fail($"Expected {expected} rows in spend_logs within {timeout}; saw {last}");
        }
    }
}
