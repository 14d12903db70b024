using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Api.Shutdown;
using LlmGateway.Api.Spend;
using LlmGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace LlmGateway.Tests.Limits;

/// <summary>
/// A request's settle and usage event are sent before its handler returns and awaited off its path (issue 20): the client
/// gets its answer without waiting for them, shutdown still waits for them, and budgets stay exact for a sequential client.
/// </summary>
public sealed class SettleOffThePathTests(SettleOffThePathTests.GatedUsageFixture fixture) : IClassFixture<SettleOffThePathTests.GatedUsageFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheAnswerArrivesWhileItsUsageEventIsStillBeingStoredAndTheDrainWaitsForIt()
    {
        var (teamId, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "off-path-team", max_budget = 1.00 });
        var inFlight = fixture.Api.Services.GetRequiredService<InFlightRequests>();
        fixture.Gate.Close();
        try
        {
            // Two requests, one after the other on one keep-alive connection: the server reads the second only once the first's
            // handler returned, which it would not while awaiting the held usage event.
            using var client = fixture.Api.CreateLoopbackClient();
            for (var i = 0; i < 2; i++)
            {
                using var response = await client.SendAsync(GovernanceFixture.Chat(key), Ct);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            // Both requests are over; their usage events are held by the gate and still counted for the shutdown drain.
            await LocalProcess.WaitUntilAsync(() => Task.FromResult(fixture.Gate.Waiting == 2 && inFlight.Count == 2), TimeSpan.FromSeconds(30),
                "the requests finished with their usage events pending");
            var drained = inFlight.WhenIdleAsync();
            Assert.False(drained.IsCompleted);

            fixture.Gate.Open();
            await drained.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        }
        finally
        {
            fixture.Gate.Open();
        }

        await LocalProcess.WaitUntilAsync(async () => await TeamSpendAsync(teamId) == 2 * GovernanceFixture.CallCost, TimeSpan.FromSeconds(30),
            "the held usage events reach the ledger");
    }

    [Fact]
    public async Task ASequentialClientIsAdmittedExactlyAsManyTimesAsTheBudgetCovers()
    {
        var (teamId, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "sequential-team", max_budget = 0.05 });
        var before = fixture.Upstream.RequestCount;
        using var client = fixture.Api.CreateLoopbackClient();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
        {
            using var response = await client.SendAsync(GovernanceFixture.Chat(key), Ct);
            statuses.Add(response.StatusCode);
        }

        // Each call reserves and costs exactly $0.01: the sixth finds $0.05 settled (or reserved) and is refused.
        Assert.Equal(Enumerable.Repeat(HttpStatusCode.OK, 5).Concat(Enumerable.Repeat(HttpStatusCode.TooManyRequests, 5)), statuses);
        Assert.Equal(5, fixture.Upstream.RequestCount - before);
        await LocalProcess.WaitUntilAsync(async () => await TeamSpendAsync(teamId) == 0.05m, TimeSpan.FromSeconds(30), "the ledger holds $0.05");
    }

    private async Task<decimal> TeamSpendAsync(string teamId)
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var info = await admin.GetFromJsonAsync<JsonElement>($"/team/info?team_id={teamId}", Ct);
        return info.GetProperty("team_info").GetProperty("spend").GetDecimal();
    }

    /// <summary>The governance fixture with the first replica's usage recorder behind a gate the test opens and closes.</summary>
    public sealed class GatedUsageFixture(TestServers servers) : GovernanceFixture(servers)
    {
        public UsageGate Gate { get; } = new();

        protected override Action<IServiceCollection> ApiServices => services =>
        {
            var real = services.Last(d => d.ServiceType == typeof(IUsageRecorder));
            services.Remove(real);
            services.AddSingleton<IUsageRecorder>(sp => new GatedRecorder(
                (IUsageRecorder)ActivatorUtilities.CreateInstance(sp, real.ImplementationType!), Gate));
        };
    }

    /// <summary>Holds usage events while closed.</summary>
    public sealed class UsageGate
    {
        private TaskCompletionSource open = Opened();
        private int waiting;

        public int Waiting => Volatile.Read(ref waiting);

        public void Close() => open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Open() => open.TrySetResult();

        public async Task PassAsync()
        {
            Interlocked.Increment(ref waiting);
            try
            {
                await open.Task;
            }
            finally
            {
                Interlocked.Decrement(ref waiting);
            }
        }

        private static TaskCompletionSource Opened()
        {
            var done = new TaskCompletionSource();
            done.SetResult();
            return done;
        }
    }

    private sealed class GatedRecorder(IUsageRecorder inner, UsageGate gate) : IUsageRecorder
    {
        public async ValueTask RecordAsync(UsageEvent usage, CancellationToken cancellationToken = default)
        {
            await gate.PassAsync();
            await inner.RecordAsync(usage, cancellationToken);
        }
    }
}
