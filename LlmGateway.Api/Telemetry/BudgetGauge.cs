using System.Diagnostics.Metrics;
using LlmGateway.Api.Data;
using Microsoft.EntityFrameworkCore;

namespace LlmGateway.Api.Telemetry;

/// <summary>
/// <c>llmgateway.budget.remaining</c> per team with a budget (max_budget − spend), from a snapshot refreshed every
/// <c>Gateway:BudgetGaugeRefresh</c> (30 s) — a scrape never queries Postgres. Only teams: keys would make the label unbounded.
/// </summary>
public sealed class BudgetGauge : BackgroundService
{
    private readonly IServiceScopeFactory scopes;
    private readonly GatewayReadiness readiness;
    private readonly TimeSpan refreshInterval;
    private readonly ILogger<BudgetGauge> logger;
    private volatile IReadOnlyList<(string Team, double Remaining)> snapshot = [];

    public BudgetGauge(IServiceScopeFactory scopes, GatewayReadiness readiness, IConfiguration configuration, ILogger<BudgetGauge> logger)
    {
        refreshInterval = configuration.GetValue<TimeSpan?>("Gateway:BudgetGaugeRefresh") ?? TimeSpan.FromSeconds(30);
        this.scopes = scopes;
        this.readiness = readiness;
        this.logger = logger;
        GatewayTelemetry.Meter.CreateObservableGauge("llmgateway.budget.remaining",
            () => snapshot.Select(t => new Measurement<double>(t.Remaining, new KeyValuePair<string, object?>("llmgateway.team_id", t.Team))),
            "USD", "Team budget left: max_budget minus the ledger's spend (refreshed every 30 s).");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(refreshInterval);
        while (!readiness.SchemaReady)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), stoppingToken);
        }

        do
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
                var teams = await db.Teams.AsNoTracking().Where(t => t.MaxBudget != null)
                    .OrderBy(t => t.TeamId).Take(10_000)
                    .Select(t => new { t.TeamId, t.MaxBudget, t.Spend }).ToListAsync(stoppingToken);
                snapshot = [.. teams.Select(t => (t.TeamId, (double)(t.MaxBudget!.Value - t.Spend)))];
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogDebug(ex, "Budget gauge refresh failed; the last snapshot stays");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
