namespace LlmGateway.Admin.Services;

public sealed partial class GatewayAdminClient
{
    // Internal users
    public Task<ApiResult<UserList>> ListUsersAsync(CancellationToken ct = default) => GetAsync<UserList>("/user/list?page_size=100", ct);

    public Task<ApiResult<bool>> CreateUserAsync(UserRequest user, CancellationToken ct = default) =>
        PostAsync<bool>("/user/new", user with { AutoCreateKey = false }, ct);

    public Task<ApiResult<bool>> UpdateUserAsync(UserRequest user, CancellationToken ct = default) => PostAsync<bool>("/user/update", user, ct);

    public Task<ApiResult<bool>> DeleteUserAsync(string userId, CancellationToken ct = default) =>
        PostAsync<bool>("/user/delete", new { user_ids = new[] { userId } }, ct);

    // Team members
    public Task<ApiResult<bool>> AddTeamMemberAsync(TeamMemberRequest member, CancellationToken ct = default) =>
        PostAsync<bool>("/team/member_add", member, ct);

    public Task<ApiResult<bool>> UpdateTeamMemberAsync(TeamMemberRequest member, CancellationToken ct = default) =>
        PostAsync<bool>("/team/member_update", member, ct);

    public Task<ApiResult<bool>> RemoveTeamMemberAsync(string teamId, string userId, CancellationToken ct = default) =>
        PostAsync<bool>("/team/member_delete", new { team_id = teamId, user_id = userId }, ct);

    // End customers
    public Task<ApiResult<List<Customer>>> ListCustomersAsync(CancellationToken ct = default) => GetAsync<List<Customer>>("/customer/list", ct);

    public Task<ApiResult<bool>> CreateCustomerAsync(CustomerRequest customer, CancellationToken ct = default) => PostAsync<bool>("/customer/new", customer, ct);

    public Task<ApiResult<bool>> UpdateCustomerAsync(CustomerRequest customer, CancellationToken ct = default) => PostAsync<bool>("/customer/update", customer, ct);

    public Task<ApiResult<bool>> SetCustomerBlockedAsync(string userId, bool blocked, CancellationToken ct = default) =>
        PostAsync<bool>(blocked ? "/customer/block" : "/customer/unblock", new { user_ids = new[] { userId } }, ct);

    public Task<ApiResult<bool>> DeleteCustomerAsync(string userId, CancellationToken ct = default) =>
        PostAsync<bool>("/customer/delete", new { user_ids = new[] { userId } }, ct);

    // Organizations
    public Task<ApiResult<List<Organization>>> ListOrganizationsAsync(CancellationToken ct = default) => GetAsync<List<Organization>>("/organization/list", ct);

    public Task<ApiResult<bool>> CreateOrganizationAsync(OrganizationRequest organization, CancellationToken ct = default) =>
        PostAsync<bool>("/organization/new", organization, ct);

    public Task<ApiResult<bool>> UpdateOrganizationAsync(OrganizationRequest organization, CancellationToken ct = default) =>
        PostAsync<bool>("/organization/update", organization, ct);

    public Task<ApiResult<bool>> DeleteOrganizationAsync(string organizationId, CancellationToken ct = default) =>
        PostAsync<bool>("/organization/delete", new { organization_ids = new[] { organizationId } }, ct);

    // Tags
    public Task<ApiResult<List<Tag>>> ListTagsAsync(CancellationToken ct = default) => GetAsync<List<Tag>>("/tag/list", ct);

    public Task<ApiResult<bool>> CreateTagAsync(TagRequest tag, CancellationToken ct = default) => PostAsync<bool>("/tag/new", tag, ct);

    public Task<ApiResult<bool>> UpdateTagAsync(TagRequest tag, CancellationToken ct = default) => PostAsync<bool>("/tag/update", tag, ct);

    public Task<ApiResult<bool>> DeleteTagAsync(string name, CancellationToken ct = default) => PostAsync<bool>("/tag/delete", new { name }, ct);
}
