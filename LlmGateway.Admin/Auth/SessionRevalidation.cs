using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.Extensions.Options;

namespace LlmGateway.Admin.Auth;

/// <summary>An open page (a Blazor circuit) re-checks its session's stamp on an interval, so a rotated secret signs it out too.</summary>
public sealed class SessionRevalidation(ILoggerFactory loggerFactory, SessionStamp stamps, IOptions<AdminAuthOptions> options)
    : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    protected override TimeSpan RevalidationInterval => options.Value.SessionRevalidationInterval;

    protected override Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken) =>
        Task.FromResult(stamps.IsValid(authenticationState.User));
}
