using StackExchange.Redis;

namespace LlmGateway.Api.Limits;

/// <summary>
/// At start-up, off any caller's path: loads the limit scripts into every Redis primary and runs the ledger's
/// spend query once for a key and a team, so the first request with a new key pays neither a <c>NOSCRIPT</c> round
/// trip nor EF Core's first compilation of the seeding query (about 500 ms in <c>limits</c> before this); subscribes to
/// the other replicas' overruns (<see cref="LimitsGate.LeaseEndsChannel"/>). At stop (after the server stopped taking
/// requests): gives back what this replica's leases did not use.
/// </summary>
internal sealed class LimitsWarmUp(IConnectionMultiplexer redis, LedgerSeeder seeder, LimitsGate gate, GatewayReadiness readiness, ILogger<LimitsWarmUp> logger)
    : BackgroundService
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(Patience);
        try
        {
            while (!redis.IsConnected)
            {
                await Task.Delay(250, timeout.Token);
            }

            // Restored by the multiplexer after a reconnect. Missed messages cost only the documented bound: a lease counting
            // in an overrun scope ends at its own first overrun or within LeaseLife.
            try
            {
                await redis.GetSubscriber().SubscribeAsync(LimitsGate.LeaseEndsChannel, (_, message) => gate.OnLeaseEnds(message.ToString()));
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                logger.LogWarning("Other replicas' overruns not subscribed ({Error}): their leases end by themselves", ex.GetType().Name);
            }

            while (!readiness.SchemaReady)
            {
                await Task.Delay(250, timeout.Token);
            }

            foreach (var server in redis.GetServers().Where(s => s.IsConnected && !s.IsReplica))
            {
                await server.ScriptLoadAsync(LimitScripts.Admit.Text);
                await server.ScriptLoadAsync(LimitScripts.Settle.Text);
                await server.ScriptLoadAsync(LimitScripts.AdmitBatch.Text);
                await server.ScriptLoadAsync(LimitScripts.SettleBatch.Text);
                await server.ScriptLoadAsync(LimitScripts.LeaseGrant.Text);
                await server.ScriptLoadAsync(LimitScripts.LeaseReturn.Text);
            }

            var now = DateTimeOffset.UtcNow;
            await seeder.CurrentSpendAsync(LimitScope.ForKey("warm-up", null, "warm-up", null, now, now), timeout.Token);
            await seeder.CurrentSpendAsync(LimitScope.ForTeam("warm-up", "warm-up", null, now, now), timeout.Token);
            logger.LogInformation("Limits warmed up: scripts loaded, ledger query compiled");
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or OperationCanceledException or Npgsql.NpgsqlException)
        {
            // Only a head start: the first request still works, it just pays for what this could not do.
            logger.LogDebug("Limits warm-up skipped: {Error}", ex.GetType().Name);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await gate.ReturnLeasesAsync().WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
