using System.Net;
using System.Text.Json;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Endpoints;

public sealed class HealthApiTests(TestServers servers) : IAsyncLifetime
{
    private GatewayApiHost api = null!;

    public async ValueTask InitializeAsync() =>
        api = await GatewayApiHost.StartAsync(await servers.CreateDatabaseAsync(), await servers.CreateRedisAsync());

    public async ValueTask DisposeAsync() => await api.DisposeAsync();

    [Fact]
    public async Task ReadinessReportsConnectedDatabaseAndRedisOnceMigrated()
    {
        using var client = api.CreateLoopbackClient();
        using var response = await client.GetAsync("/health/readiness", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("healthy", body.RootElement.GetProperty("status").GetString());
        Assert.Equal("connected", body.RootElement.GetProperty("db").GetString());
        Assert.Equal("redis", body.RootElement.GetProperty("cache").GetString());
        Assert.True(body.RootElement.TryGetProperty("last_updated", out _));
    }

    [Fact]
    public async Task LivelinessAnswersWithoutCredentials()
    {
        using var client = api.CreateLoopbackClient();
        var text = await client.GetStringAsync("/health/liveliness", TestContext.Current.CancellationToken);
        Assert.Equal("\"I'm alive!\"", text);
    }

    [Fact]
    public async Task MigrationsCreateTheGatewayTables()
    {
        await using var connection = new Npgsql.NpgsqlConnection(api.Services.GetRequiredConnectionString());
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new Npgsql.NpgsqlCommand(
            "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('teams','virtual_keys','spend_logs')", connection);
        Assert.Equal(3L, (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!);
    }
}

public sealed class ReadinessWithoutRedisTests(TestServers servers)
{
    [Fact]
    public async Task ReadinessIs503NamingRedisWhenRedisDoesNotAnswer()
    {
        var redis = await TestServers.StartOwnRedisAsync();
        await using var api = await GatewayApiHost.StartAsync(await servers.CreateDatabaseAsync(), redis.ConnectionString);
        await redis.DisposeAsync();

        using var client = api.CreateLoopbackClient();
        using var response = await client.GetAsync("/health/readiness", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("Not connected", body.RootElement.GetProperty("cache").GetString());
        Assert.Equal("connected", body.RootElement.GetProperty("db").GetString());
    }
}
