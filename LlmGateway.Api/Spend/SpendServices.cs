using LlmGateway.Api.Spend;
using Microsoft.Extensions.DependencyInjection.Extensions;

// In the Api's root namespace, like AddGatewayServices, so the composition root needs no extra using.
namespace LlmGateway.Api;

public static class SpendServices
{
    /// <summary>The usage pipeline: <see cref="IUsageRecorder"/> (stream → Postgres → spool), the writer that fills the ledger, and its partition maintenance.</summary>
    public static IHostApplicationBuilder AddSpendLedger(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SpendLedgerOptions>()
            .BindConfiguration("Gateway:Spend")
            .Configure<IConfiguration>((options, configuration) =>
            {
                if (configuration["Gateway:DataDirectory"] is { Length: > 0 } directory)
                {
                    options.DataDirectory = Path.GetFullPath(directory, AppContext.BaseDirectory);
                }
            })
            .ValidateDataAnnotations()
            .Validate(o => o.PollInterval > TimeSpan.Zero && o.PollInterval <= TimeSpan.FromSeconds(1),
                "Gateway:Spend:PollInterval must be between 0 and 1 s")
            .Validate(o => o.BatchLinger >= TimeSpan.Zero && o.BatchLinger <= TimeSpan.FromSeconds(1),
                "Gateway:Spend:BatchLinger must be between 0 and 1 s")
            .Validate(o => o.PartitionMaintenanceInterval >= TimeSpan.FromSeconds(1) && o.PartitionMaintenanceInterval <= TimeSpan.FromDays(1),
                "Gateway:Spend:PartitionMaintenanceInterval must be between 1 s and 1 day")
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<SpendLedgerStore>();
        builder.Services.AddSingleton<UsageSpool>();
        builder.Services.AddSingleton<UsageHandoff>();
        builder.Services.AddSingleton<IUsageRecorder, UsageRecorder>();
        builder.Services.AddHostedService<SpendLedgerWriter>();
        builder.Services.AddHostedService<LedgerPartitionMaintenance>();
        return builder;
    }
}
