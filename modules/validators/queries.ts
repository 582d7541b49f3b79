import { queryHandler as handler, type ServiceRegistrar } from "../../chain/app/module";
import { pegzone } from "../../proto";
import { validatorErrors } from "./errors";
import { operatorBytes, type ValidatorsKeeper } from "./keeper";

const v1 = pegzone.validators.v1;
const path = (method: string) => `/pegzone.validators.v1.Query/${method}`;

export function registerValidatorQueries(registrar: ServiceRegistrar, keeper: ValidatorsKeeper): void {
  registrar.query(path("Validators"), handler(v1.QueryValidatorsRequest, v1.QueryValidatorsResponse, async (ctx) => ({ validators: await keeper.allValidators(ctx) })));
  registrar.query(
    path("Validator"),
    handler(v1.QueryValidatorRequest, v1.QueryValidatorResponse, async (ctx, req) => {
      const validator = await keeper.getValidator(ctx, req.operator);
      if (validator === undefined) throw validatorErrors.ErrUnknownValidator.wrap(`${req.operator} is not a validator`);
      return { validator, missedBlocks: await keeper.missedCount(ctx, operatorBytes(req.operator)) };
    }),
  );
  registrar.query(path("Proposals"), handler(v1.QueryProposalsRequest, v1.QueryProposalsResponse, async (ctx) => ({ proposals: await keeper.allProposals(ctx) })));
  registrar.query(path("Params"), handler(v1.QueryParamsRequest, v1.QueryParamsResponse, async (ctx) => ({ params: await keeper.getParams(ctx) })));
}
